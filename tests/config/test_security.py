"""The admin's front door: failed logins are rate-limited, forms need their CSRF token, pages refuse to be
framed, and production mode passes Django's deployment checks."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client as Browser
from django.urls import reverse

from integrations.models import Client
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def keeper(db):
    user = UserFactory(username="keeper", is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def login(username, password, address="198.51.100.7"):
    return Browser(REMOTE_ADDR=address).post(reverse("admin:login"), {"username": username, "password": password})


# Login rate limit -------------------------------------------------------------------------------

def test_the_sixth_failed_login_for_a_user_name_is_refused_even_from_other_addresses_and_with_the_password(keeper):
    for n in range(5):
        assert login("keeper", f"guess-{n}", address=f"198.51.100.{n}").status_code == 200  # the form again
    refused = login("keeper", PASSWORD, address="203.0.113.9")
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/plain")
    assert "Too many failed logins" in refused.content.decode() and "15 minutes" in refused.content.decode()
    assert "_auth_user_id" not in Browser().session  # nobody was logged in


def test_one_address_trying_many_user_names_is_refused(keeper):
    for n in range(5):
        login(f"user-{n}", "guess")
    assert login("keeper", PASSWORD).status_code == 429
    assert login("keeper", PASSWORD, address="203.0.113.9").status_code == 302  # another address, a right password


def test_successful_logins_are_not_counted(keeper):
    for _ in range(8):
        assert login("keeper", PASSWORD).status_code == 302
    for n in range(4):
        assert login("keeper", f"guess-{n}").status_code == 200
    assert login("keeper", PASSWORD).status_code == 302


def test_the_limit_and_window_are_settings_and_the_window_ends(keeper, settings, monkeypatch):
    import django.core.cache.backends.locmem as locmem

    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS = 2, 60
    login("keeper", "a"), login("keeper", "b")
    assert login("keeper", PASSWORD).status_code == 429
    now = locmem.time.time()
    monkeypatch.setattr(locmem.time, "time", lambda: now + 61)
    assert login("keeper", PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_it_appended_counts(keeper, settings):
    settings.LOGIN_CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    proxied = Browser(REMOTE_ADDR="10.0.0.2")
    for n in range(5):
        # The client writes what it likes in front; the proxy appends the real address last.
        proxied.post(reverse("admin:login"), {"username": f"u{n}", "password": "x"},
                     HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.50")
    assert proxied.post(reverse("admin:login"), {"username": "keeper", "password": PASSWORD},
                        HTTP_X_FORWARDED_FOR="198.51.100.50").status_code == 429
    assert proxied.post(reverse("admin:login"), {"username": "keeper", "password": PASSWORD},
                        HTTP_X_FORWARDED_FOR="198.51.100.51").status_code == 302


def test_with_redis_url_set_the_counts_are_kept_in_redis_shared_by_every_web_process():
    out = _manage("shell", "--no-imports", "-c", "from django.conf import settings; "
                  "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])",
                  REDIS_URL="redis://127.0.0.1:6379/9", DEBUG="true")
    assert out.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/9"]


# CSRF and clickjacking --------------------------------------------------------------------------

def test_a_login_without_the_csrf_token_is_refused(keeper):
    browser = Browser(enforce_csrf_checks=True)
    page = browser.post(reverse("admin:login"), {"username": "keeper", "password": PASSWORD})
    assert page.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_an_admin_action_without_the_csrf_token_is_refused(keeper):
    target = Client.objects.create(name="Client A BV")
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(keeper)
    page = browser.post(reverse("admin:integrations_client_changelist"),
                        {"action": "pause_clients", "_selected_action": [target.pk]})
    assert page.status_code == 403
    target.refresh_from_db()
    assert target.status == "active"


@pytest.mark.django_db
def test_admin_pages_refuse_to_be_framed(client):
    assert client.get(reverse("admin:login"))["X-Frame-Options"] == "DENY"


# Production mode -------------------------------------------------------------------------------

def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    base.update({"DEBUG": "false", "SANDBOX_ENABLED": "false", "ALLOW_HTTP_LOOPBACK": "false",
                 "SECRET_KEY": secrets.token_urlsafe(50), "ENCRYPTION_SALT": secrets.token_urlsafe(32),
                 "ALLOWED_HOSTS": "portal.example.com", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=base, capture_output=True,
                          text=True, timeout=120)


def test_production_mode_passes_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_checks_catch_a_weakened_production_setting():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0",
                     SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_production_mode_serves_the_pages_styles_after_collectstatic(tmp_path):
    """Without a web server in front, gunicorn alone still serves the admin's and the portal's stylesheets."""
    static = {"STATIC_ROOT": str(tmp_path / "static"), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = _manage("collectstatic", "--noinput", **static)
    assert result.returncode == 0, result.stdout + result.stderr
    script = (
        "import re; from django.test import Client; browser = Client(SERVER_NAME='portal.example.com');"
        "page = browser.get('/admin/login/', secure=True);"
        "href = re.search(r'href=\"([^\"]*portal/admin[^\"]*\\.css)\"', page.content.decode()).group(1);"
        "css = browser.get(href, secure=True); print(href, css.status_code, b''.join(css.streaming_content)[:40])"
    )
    result = _manage("shell", "-c", script, **static)
    assert result.returncode == 0, result.stdout + result.stderr
    href, status, start = result.stdout.splitlines()[-1].split(" ", 2)
    assert re.fullmatch(r"/static/portal/admin\.[0-9a-f]{12}\.css", href)  # hashed: cached for ever
    assert status == "200" and start.startswith("b\"/* The portal on a bookkeeper's laptop")
