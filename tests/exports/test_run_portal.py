"""`manage.py run_portal` (what `make run` starts): on every start it says who can log in and how to set a new
password, without the web server and the cluster it would start."""
import re

import os

import pytest
from django.conf import settings
from django.core.management import call_command

from exports.management.commands import run_portal
from tests.factories import UserFactory


@pytest.fixture
def started(monkeypatch, capsys):
    """Runs the command up to the web server, which is not started; returns what it printed."""
    ran = []

    class Cluster:
        def __init__(self, command):
            ran.append(command)

        def send_signal(self, signal):
            pass

        def wait(self, timeout):
            pass

    def command_called(name, *args, **options):
        if name in ("runserver", "migrate"):
            ran.append(name)
        else:
            call_command(name, *args, **options)

    monkeypatch.setattr(run_portal.subprocess, "Popen", Cluster)
    monkeypatch.setattr(run_portal, "call_command", command_called)
    # The command tells the portal (and its cluster) its public address: undone after each test.
    monkeypatch.setattr(settings, "PORTAL_PUBLIC_URL", "")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "")

    def start(*args):
        call_command("run_portal", *args)
        assert "runserver" in ran
        return capsys.readouterr().out

    return start


@pytest.mark.django_db
def test_every_start_names_the_administrator_and_how_to_set_a_new_password(started, client_company):
    UserFactory(username="demo", is_superuser=True)

    for _ in range(2):  # the demo is seeded once; the portal has its clients already on each later start
        out = started("--port", "8001")
        assert "the demo was not seeded" in out
        assert re.search(r"Log in at http://127\.0\.0\.1:8001/admin/ as “demo”\. Password forgotten\? Set a new one "
                         r"with `\S*python\S* manage\.py changepassword demo`\.", out), out
        assert "password “" not in out and "correct horse" not in out


@pytest.mark.django_db
def test_a_portal_without_administrator_says_how_to_make_one(started, staff_user):
    out = started("--no-demo")

    assert "No one can log in at http://127.0.0.1:8000/admin/ yet: make an administrator with " in out
    assert "manage.py createsuperuser" in out


@pytest.mark.django_db
def test_the_demo_portal_is_where_the_stand_in_pleo_delivers_its_webhooks(started, client_company):
    started("--port", "8002")
    assert settings.PORTAL_PUBLIC_URL == os.environ["PORTAL_PUBLIC_URL"] == "http://127.0.0.1:8002"
