"""Every failure reason a bookkeeper reads (record, attempt, run, Pleo) says what happened and what to do, in
plain words: the deliberate-failure scenarios of the sandboxes, run end to end."""
import builtins
import datetime
import re

import pytest
from django.urls import reverse

from exports.models import ExportAttempt, ExportRecord, ExportRun
from exports.services import export_queue_poll
from integrations.errors import PortalError
from mappings.models import CategoryMapping
from sandbox.odoo.services import emulated_company_lock_date_set
from sandbox.pleo.models import File
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# Every Python and portal exception class name: none may reach a bookkeeper.
EXCEPTION_NAMES = {name for name, value in vars(builtins).items()
                   if isinstance(value, type) and issubclass(value, BaseException)}
EXCEPTION_NAMES |= {cls.__name__ for cls in _subclasses(PortalError)}


def assert_plain(reason: str, problem: str, action: str) -> None:
    assert problem in reason, reason
    assert action in reason, reason
    assert "Traceback" not in reason and "Error(" not in reason and "File \"" not in reason, reason
    named = {name for name in EXCEPTION_NAMES if re.search(rf"\b{re.escape(name)}\b", reason)}
    assert not named, (named, reason)


def export(export_client, fake_pleo, kinds, count=4, seed=7, with_receipts=False):
    items = export_items_generate(company=fake_pleo.company, count=count, seed=seed, kinds=kinds,
                                  with_receipts=with_receipts)
    export_job_create(company=fake_pleo.company, items=items)
    export_queue_poll(client_id=export_client.pk, triggered_by="test")
    return items


def failed_reasons(export_client) -> list[str]:
    records = ExportRecord.objects.filter(client=export_client, status="failed")
    for record in records:  # the attempt and the list say the same as the record
        assert record.attempt_log.last().message == record.last_error
    return [record.last_error for record in records]


@pytest.mark.django_db
def test_unmapped_category(export_client, fake_pleo):
    CategoryMapping.objects.filter(client=export_client).update(odoo_account_id=None)
    export(export_client, fake_pleo, ["out_of_pocket"])
    reasons = failed_reasons(export_client)
    assert reasons
    for reason in reasons:
        assert_plain(reason, "is not mapped to an Odoo account", "Map it under Mappings → Category mappings")


@pytest.mark.django_db
def test_unmapped_tax_code(export_client, fake_pleo):
    export(export_client, fake_pleo, None, count=8, seed=1)
    reasons = [r for r in failed_reasons(export_client) if "tax code" in r]
    assert reasons
    for reason in reasons:
        assert_plain(reason, "Pleo tax code “I0” (0 %) is not mapped to an Odoo tax",
                     "Mappings → Tax codes made in Pleo")


@pytest.mark.django_db
def test_currency_not_active_in_odoo(export_client, fake_pleo):
    export(export_client, fake_pleo, ["card_purchase_foreign"], count=6)
    reasons = [r for r in failed_reasons(export_client) if "currency" in r]
    assert reasons
    for reason in reasons:
        assert_plain(reason, "is not active in Odoo", "activate it in Odoo")


@pytest.mark.django_db
def test_locked_period_with_the_fail_policy(export_client, fake_pleo, fake_odoo):
    from mappings.booking_settings import booking_settings_update

    booking_settings_update(client=export_client, data={"lock_date_policy": "fail"})
    emulated_company_lock_date_set(database=fake_odoo.database, company_id=1,
                                   fiscalyear_lock_date=datetime.date(2025, 12, 31))
    export(export_client, fake_pleo, ["out_of_pocket"], count=2)
    reasons = failed_reasons(export_client)
    assert reasons
    for reason in reasons:
        assert_plain(reason, "in a period locked in Odoo until 2025-12-31", "Unlock the period in Odoo")


@pytest.mark.django_db
def test_receipt_too_large_and_of_an_unknown_type(export_client, fake_pleo, settings):
    items = export_items_generate(company=fake_pleo.company, count=4, seed=7, kinds=["out_of_pocket"],
                                  with_receipts=True)
    odd = File.objects.filter(export_item=items[0]).first()
    odd.mime_type = "application/x-msdownload"
    odd.save()
    settings.RECEIPT_MAX_BYTES = min(len(bytes(f.content)) for f in File.objects.filter(export_item=items[1])) - 1
    export_job_create(company=fake_pleo.company, items=items)
    export_queue_poll(client_id=export_client.pk, triggered_by="test")
    by_entry = {r.pleo_accounting_entry_id: r.last_error for r in ExportRecord.objects.filter(client=export_client)}
    assert_plain(by_entry[str(items[0].uuid)], "application/x-msdownload", "Replace the receipt in Pleo")
    assert_plain(by_entry[str(items[1].uuid)], "A receipt is larger than", "attach a smaller copy in Pleo")


@pytest.mark.django_db
def test_a_client_without_booking_settings(export_client, fake_pleo):
    export_client.booking_settings.delete()
    items = export_items_generate(company=fake_pleo.company, count=1, seed=7, kinds=["out_of_pocket"],
                                  with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)
    with pytest.raises(PortalError):
        export_queue_poll(client_id=export_client.pk, triggered_by="test")
    assert_plain(ExportRun.objects.get(client=export_client).error, "has no booking settings yet",
                 "set the accounts and journals first")


@pytest.mark.django_db
def test_an_unexpected_crash_names_no_exception_and_says_what_to_do(export_client, fake_pleo, monkeypatch):
    def broken(**kwargs):
        raise KeyError("currency_id")

    monkeypatch.setattr("exports.services.booking_context_build", broken)
    items = export_items_generate(company=fake_pleo.company, count=1, seed=7, kinds=["out_of_pocket"],
                                  with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)
    with pytest.raises(KeyError):
        export_queue_poll(client_id=export_client.pk, triggered_by="test")
    error = ExportRun.objects.get(client=export_client).error
    assert_plain(error, "a problem the portal did not expect", "start the export again")
    assert "currency_id" not in error


@pytest.mark.django_db
def test_the_admin_shows_those_reasons_and_a_retry_of_nothing_failed_says_so(admin_browser, export_client,
                                                                            fake_pleo):
    export(export_client, fake_pleo, None, count=8, seed=1)
    failed = ExportRecord.objects.filter(client=export_client, status="failed").first()
    body = admin_browser.get(reverse("admin:exports_exportrecord_change", args=[failed.pk])).content.decode()
    assert "Mappings → Tax codes made in Pleo" in body and "Traceback" not in body
    exported = ExportRecord.objects.filter(client=export_client, status="exported").first()
    attempts = ExportAttempt.objects.count()
    page = admin_browser.post(reverse("admin:exports_exportrecord_changelist"),
                              {"action": "retry_selected", "_selected_action": [exported.pk]}, follow=True)
    messages = [str(m) for m in page.context["messages"]]
    assert messages == ["None of the selected records failed, so there was nothing to retry. Only failed "
                        "records can be retried; exported and skipped ones are settled."]
    assert ExportAttempt.objects.count() == attempts
