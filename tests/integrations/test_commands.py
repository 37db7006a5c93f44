"""verify_client and add_client as an operator runs them."""
import pytest
from django.core.management import CommandError, call_command

from integrations.models import Client
from integrations.verify_odoo import odoo_company_choose, odoo_connection_verify
from sandbox.odoo.services import emulated_user_groups_set


@pytest.mark.django_db
def test_verify_client_prints_the_report_and_exits_non_zero_on_a_failed_check(odoo_connection_to_sandbox, capsys):
    with pytest.raises(CommandError) as failure:
        call_command("verify_client", "Client A BV")
    assert failure.value.returncode == 1
    out = capsys.readouterr().out
    assert "[FAIL] The user is allowed in the chosen company" in out
    assert "Pleo: not set up" in out


@pytest.mark.django_db
def test_verify_client_passes_when_both_sides_pass(odoo_connection_to_sandbox, pleo_connection_to_sandbox, fake_odoo,
                                                   capsys):
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid, add=["base.group_partner_manager"])
    odoo_connection_verify(connection=odoo_connection_to_sandbox)
    odoo_company_choose(connection=odoo_connection_to_sandbox, company_id=1)
    call_command("verify_client", str(odoo_connection_to_sandbox.client.pk))
    out = capsys.readouterr().out
    assert "Odoo: all required checks passed" in out and "Pleo: all required checks passed" in out
    assert fake_odoo.api_key not in out


@pytest.mark.django_db
def test_verify_client_names_an_unknown_client():
    with pytest.raises(CommandError, match="No client named"):
        call_command("verify_client", "Nobody BV")


@pytest.mark.django_db
def test_add_client_reads_secrets_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("ODOO_API_KEY", "odoo-key-from-env-123456")
    monkeypatch.setenv("PLEO_API_TOKEN", "pleo-token-from-env-123456")
    call_command("add_client", "Client C BV", "--odoo-url", "https://client-c.odoo.com",
                 "--odoo-database", "client-c", "--odoo-login", "pleo@client-c.nl")
    client = Client.objects.get(name="Client C BV")
    assert client.odoo_connection.api_key == "odoo-key-from-env-123456"
    assert client.pleo_connection.api_token == "pleo-token-from-env-123456"
    assert "odoo-key-from-env" not in capsys.readouterr().out


@pytest.mark.django_db
def test_add_client_without_secrets_stops_with_a_clear_message_and_saves_nothing(monkeypatch):
    monkeypatch.delenv("ODOO_API_KEY", raising=False)
    monkeypatch.delenv("PLEO_API_TOKEN", raising=False)
    with pytest.raises(CommandError, match="ODOO_API_KEY"):
        call_command("add_client", "Client D BV", "--odoo-url", "https://d.odoo.com", "--odoo-login", "x@d.nl")
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_add_client_refuses_plain_http_and_saves_nothing(monkeypatch):
    monkeypatch.setenv("ODOO_API_KEY", "k-123456")
    monkeypatch.setenv("PLEO_API_TOKEN", "t-123456")
    with pytest.raises(CommandError, match="plain http"):
        call_command("add_client", "Client E BV", "--odoo-url", "http://e.example.com", "--odoo-login", "x@e.nl")
    assert not Client.objects.exists()
