"""Production mode refuses unsafe defaults; the sandboxes are unreachable when switched off."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_check(**env_overrides):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SANDBOX_ENABLED", "SECRET_KEY", "ENCRYPTION_SALT", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_production_mode_refuses_the_development_secret_key():
    result = run_check()
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_production_mode_refuses_the_development_salt():
    result = run_check(SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ENCRYPTION_SALT is the development salt" in result.stderr


def test_production_mode_refuses_the_sandbox():
    result = run_check(SECRET_KEY="x" * 60, ENCRYPTION_SALT="y" * 40, SANDBOX_ENABLED="true")
    assert result.returncode != 0
    assert "SANDBOX_ENABLED is for tests and demos" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = run_check(SECRET_KEY="k" * 20 + "Zq9#" * 10, ENCRYPTION_SALT="y" * 40, ALLOWED_HOSTS="portal.example.com")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_sandbox_urls_do_not_exist_when_the_sandbox_is_off(client, settings):
    from importlib import reload

    from django.urls import clear_url_caches

    import config.urls

    settings.SANDBOX_ENABLED = False
    try:
        reload(config.urls)
        clear_url_caches()
        assert client.post("/sandbox/odoo/jsonrpc", data="{}", content_type="application/json").status_code == 404
        assert client.get("/sandbox/pleo/v1/introspect").status_code == 404
    finally:
        settings.SANDBOX_ENABLED = True
        reload(config.urls)
        clear_url_caches()
