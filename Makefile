# The README's commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install migrate messages lint bench e2e check-deploy prod-smoke backup clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) が見つかりません (Python 3.11 が必要です)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --no-input -v0

# The background worker (reports, imports, nightly commands) runs beside the development server
# and stops with it.
demo: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py run_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

test: install
	SASAEAI_ENV=test $(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: install
	cd sasaeai && ../$(PY) ../manage.py makemessages -l ja --no-obsolete --no-location
	cd sasaeai && ../$(PY) ../manage.py compilemessages -l ja

bench: install
	SASAEAI_ENV=test $(PY) -m bench.run $(BENCH_ARGS)

check-deploy: install
	SASAEAI_ENV=production SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(60))") \
	  AUDIT_HMAC_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(48))") \
	  REDIS_URL=redis://127.0.0.1:6379/0 ALLOWED_HOSTS=sasaeai.example.lg.jp \
	  SITE_URL=https://sasaeai.example.lg.jp \
	  DATABASE_URL=$${DATABASE_URL:-sqlite:///check.sqlite3} \
	  $(PY) manage.py check --deploy --fail-level WARNING

# The production profile end to end on a scratch PostgreSQL database (scripts/prod_smoke.py):
# migrate as an owner, collectstatic, gunicorn as the app role, pages, static files, API, sign-in.
prod-smoke: install
	$(PY) scripts/prod_smoke.py

# A backup of DATABASE_URL's database into BACKUP_DIR (default backups/), keeping BACKUP_KEEP.
# Run it as the owner (docs/operations.md, "Backups and restore").
backup: install
	$(PY) manage.py backup $(BACKUP_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
