"""The deploy/ folder, checked structurally (the images cannot be pulled on CI, and
`docker compose config` is not available offline): services, commands that exist, settings
that exist, health checks on /healthz, static files where collectstatic writes them."""

import configparser
import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands
from django.urls import reverse

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS_SOURCE = (Path(settings.BASE_DIR) / "settings.py").read_text(encoding="utf-8")
# Read by the compose file or the images themselves, not by settings.py.
COMPOSE_ONLY = {
    "DATABASE_POOLED_URL", "DATABASE_OWNER_URL", "DB_USER", "DB_PASSWORD", "DB_NAME",
    "POSTGRES_SUPERUSER", "POSTGRES_SUPERUSER_PASSWORD",
}  # fmt: skip
APP_SERVICES = ("migrate", "app", "worker")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def settings_variables() -> set[str]:
    pattern = r'(?:env_str|env_bool|env_int|env_list|os\.environ\.get)\(\s*"([A-Z_]+)"'
    return set(re.findall(pattern, SETTINGS_SOURCE)) - {"DJANGO_SETTINGS_MODULE"}


def env_example() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def check_command(argv: list[str]) -> None:
    """A gunicorn command names an importable WSGI module; a manage.py one a command."""
    if "gunicorn" in argv[0]:
        assert importlib.util.find_spec(argv[1]) is not None, argv
    elif "manage.py" in argv:
        name = argv[argv.index("manage.py") + 1]
        if name == "run_worker" and "sasaeai.jobs" not in settings.INSTALLED_APPS:
            pytest.skip("run_worker comes with the jobs app (another part of issue 12)")
        assert name in get_commands(), f"no management command {name}"
    else:
        raise AssertionError(f"unexpected command {argv}")


def test_compose_has_the_services_and_images():
    services = compose()["services"]
    assert set(services) >= {"postgres", "redis", "pgbouncer", "app", "worker", "nginx"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"


@pytest.mark.parametrize("service", ["app", "migrate"])
def test_compose_commands_exist(service):
    check_command(compose()["services"][service]["command"])


def test_compose_worker_command_exists():
    check_command(compose()["services"]["worker"]["command"])


def test_web_goes_through_pgbouncer_and_the_worker_directly():
    services = compose()["services"]
    assert services["app"]["environment"]["DATABASE_POOL_MODE"] == "transaction"
    assert "POOLED" in services["app"]["environment"]["DATABASE_URL"]
    assert services["worker"]["environment"]["DATABASE_POOL_MODE"] == "session"
    assert services["migrate"]["environment"]["DATABASE_POOL_MODE"] == "session"


def test_health_checks_use_healthz():
    services = compose()["services"]
    assert reverse("healthz") == "/healthz"
    for name in ("app", "nginx"):
        assert "/healthz" in " ".join(services[name]["healthcheck"]["test"]), name


def test_every_variable_used_exists_in_settings():
    known = settings_variables()
    for name in APP_SERVICES:
        for variable in compose()["services"][name].get("environment", {}):
            assert variable in known, f"{name} sets {variable}, which settings.py never reads"
    for variable in env_example():
        assert variable in known | COMPOSE_ONLY, f"env.example lists unknown {variable}"


def test_env_example_lists_every_production_setting():
    missing = settings_variables() - set(env_example()) - {"SASAEAI_ENV"}
    assert not missing, f"env.example misses {sorted(missing)}"
    assert env_example()["SASAEAI_ENV"] == "production"


def test_nginx_serves_static_from_the_collectstatic_volume():
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    static_root = re.search(r"STATIC_ROOT=(\S+)", (DEPLOY / "Dockerfile").read_text()).group(1)
    assert re.search(rf"location /static/ \{{\s*alias {re.escape(static_root)}/;", conf)
    assert "proxy_pass http://sasaeai_app;" in conf
    assert f"static:{static_root}:ro" in compose()["services"]["nginx"]["volumes"]
    assert f"static:{static_root}" in compose()["services"]["app"]["volumes"]


def test_dockerfile_collects_static_and_runs_gunicorn():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "pip install" in text and "collectstatic --no-input" in text
    assert '"gunicorn", "sasaeai.wsgi"' in text


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize(
    "name", ["sasaeai-web.service", "sasaeai-backup.service", "sasaeai-worker.service"]
)
def test_systemd_units_run_existing_commands(name):
    check_command(unit(name)["Service"]["ExecStart"].split())


def test_backup_timer_has_its_service():
    assert unit("sasaeai-backup.timer")["Timer"]["OnCalendar"]
    assert (DEPLOY / "systemd" / "sasaeai-backup.service").exists()
    assert unit("sasaeai-backup.service")["Service"]["Type"] == "oneshot"
