"""Deployment checks: production settings pass `check --deploy`, compose file is valid."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqr_portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "cqr.example.gov.au",
        "DATABASE_URL": "postgres://cqr@127.0.0.1:5432/cqr",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_keep_connections_open():
    """P7: persistent connections (CONN_MAX_AGE > 0) in production."""
    text = (ROOT / "cqr_portal/settings/production.py").read_text()
    assert 'env.int("DJANGO_CONN_MAX_AGE", default=60)' in text


@pytest.mark.skipif(
    not shutil.which("docker-compose") and not shutil.which("docker"),
    reason="no compose client on this machine",
)
def test_compose_file_is_valid(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    cmd = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
    result = subprocess.run(
        [*cmd, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "POSTGRES_PASSWORD": "x"},
    )
    assert result.returncode == 0, result.stderr
