"""`manage.py export_client <client> [--dry-run]` as an operator runs it against the sandboxes."""
import pytest
from django.core.management import CommandError, call_command

from exports.models import ExportRecord, ExportRun
from sandbox.odoo.models import EmulatedRecord
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create


def queue(fake_pleo, **options):
    items = export_items_generate(company=fake_pleo.company, with_receipts=False, **options)
    return export_job_create(company=fake_pleo.company, items=items), items


def odoo_moves(fake_odoo) -> int:
    return EmulatedRecord.objects.filter(database=fake_odoo.database, model="account.move").count()


@pytest.mark.django_db
def test_export_client_exports_and_exits_non_zero_when_an_item_failed(export_client, fake_pleo, capsys):
    job, items = queue(fake_pleo, count=8, seed=1)  # holds a card purchase at 0 % VAT, which is unmapped

    with pytest.raises(CommandError) as failure:
        call_command("export_client", export_client.name)

    assert failure.value.returncode == 1 and "1 item(s) failed" in str(failure.value)
    out = capsys.readouterr().out
    run = ExportRun.objects.get(client=export_client)
    assert f"Pleo job {job.uuid}: 7 exported, 1 failed, 0 skipped" in out
    assert "FAILED" in out and "tax code “I0”" in out
    assert run.triggered_by == "command line"
    assert ExportRecord.objects.filter(client=export_client, status="exported").count() == 7
    job.refresh_from_db()
    assert job.status == "completed_with_errors"


@pytest.mark.django_db
def test_export_client_exits_zero_when_every_item_was_exported(export_client, fake_pleo, fake_odoo, capsys):
    job, items = queue(fake_pleo, count=6, seed=2, kinds=["card_purchase"])

    call_command("export_client", str(export_client.pk))

    out = capsys.readouterr().out
    assert f"Pleo job {job.uuid}: 6 exported, 0 failed, 0 skipped" in out
    assert odoo_moves(fake_odoo) >= 6
    assert set(ExportRecord.objects.filter(client=export_client).values_list("status", flat=True)) == {"exported"}


@pytest.mark.django_db
def test_export_client_with_nothing_queued_says_so(export_client, capsys):
    call_command("export_client", export_client.name)
    assert "Nothing waiting in Pleo's export queue." in capsys.readouterr().out
    assert not ExportRecord.objects.exists()


@pytest.mark.django_db
def test_dry_run_prints_the_preview_and_writes_nothing(export_client, fake_pleo, fake_odoo, odoo_admin, capsys):
    job, items = queue(fake_pleo, count=8, seed=1)
    moves_before = odoo_moves(fake_odoo)

    with pytest.raises(CommandError) as failure:
        call_command("export_client", export_client.name, "--dry-run")

    assert failure.value.returncode == 1  # an item would fail: the same exit as the real run
    out = capsys.readouterr().out
    assert "would FAIL: Pleo tax code “I0” (0 %) is not mapped to an Odoo tax" in out
    assert out.count(", PLEO-") == 7 and "posted" in out
    wallet = odoo_admin.read("account.account", [export_client.booking_settings.wallet_account_id], ["code"])[0]
    assert f"{wallet['code']} " in out and "debit " in out and "credit " in out
    assert odoo_moves(fake_odoo) == moves_before
    assert not ExportRecord.objects.exists() and not ExportRun.objects.exists()
    job.refresh_from_db()
    assert job.status == "pending" and set(job.items.values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db
def test_dry_run_exits_zero_when_everything_would_be_booked(export_client, fake_pleo, capsys):
    queue(fake_pleo, count=3, seed=2, kinds=["card_purchase"])
    call_command("export_client", export_client.name, "--dry-run")
    out = capsys.readouterr().out
    assert out.count(", PLEO-") == 3 and "would FAIL" not in out
    assert not ExportRecord.objects.exists()


@pytest.mark.django_db
def test_output_never_shows_the_clients_secrets(export_client, fake_pleo, fake_odoo, capsys):
    queue(fake_pleo, count=8, seed=1)
    with pytest.raises(CommandError):
        call_command("export_client", export_client.name, "--dry-run")
    with pytest.raises(CommandError) as failure:
        call_command("export_client", export_client.name)
    out = capsys.readouterr().out + str(failure.value)
    assert fake_odoo.api_key not in out and fake_pleo.token not in out


@pytest.mark.django_db
def test_export_client_names_an_unknown_client():
    with pytest.raises(CommandError, match="No client named"):
        call_command("export_client", "Nobody BV")


@pytest.mark.django_db
def test_dry_run_names_the_purchase_currency_of_a_foreign_expense(export_client, fake_pleo, capsys):
    queue(fake_pleo, count=2, seed=1)  # the second is a card purchase in USD
    call_command("export_client", export_client.name, "--dry-run")
    out = capsys.readouterr().out
    assert "USD" in out and "None" not in out
