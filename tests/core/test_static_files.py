"""collectstatic with the production profile: every page depends on its manifest."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
MARKERCLUSTER = "vendor/leaflet-markercluster/leaflet.markercluster.js"


def collectstatic_in_production(static_root: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run collectstatic as production runs it (its own settings, in a separate process)."""
    env = {
        **os.environ,
        "SASAEAI_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
        "SITE_URL": "https://sasaeai.example.lg.jp",
        "REDIS_URL": "redis://127.0.0.1:6379/0",  # not contacted by collectstatic
        "ALLOWED_HOSTS": "sasaeai.example.lg.jp",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "STATIC_ROOT": str(static_root),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_collectstatic_succeeds_with_production_storage_and_drops_only_missing_maps(tmp_path):
    static_root = tmp_path / "static"
    result = collectstatic_in_production(static_root, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in ("sasaeai/app.css", "vendor/leaflet/leaflet.js", MARKERCLUSTER):
        assert (static_root / paths[name]).is_file(), name
    # The plug-in's reference to a map it does not ship is gone; Leaflet's own map is shipped,
    # so its reference is kept and points at the hashed copy.
    cluster = (static_root / paths[MARKERCLUSTER]).read_text(encoding="utf-8")
    assert "sourceMappingURL" not in cluster
    leaflet = (static_root / paths["vendor/leaflet/leaflet.js"]).read_text(encoding="utf-8")
    assert f"sourceMappingURL={Path(paths['vendor/leaflet/leaflet.js.map']).name}" in leaflet
    assert (static_root / (paths[MARKERCLUSTER] + ".gz")).is_file()  # compressed for WhiteNoise
