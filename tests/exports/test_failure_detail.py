"""What a refused expense names as missing (its failure detail), so the export history can link to the fix; and
the detail kept on the record until the record is booked or fails without one."""
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone

from exports.booking import booking_plan
from exports.items import BookingRefused
from exports.job import Job
from exports.models import ExportRecord, ExportRun
from exports.records import record_failed, record_skipped, records_prepare
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db  # the sandbox items are generated once per session (tests/exports/conftest)


def _refusal(item, context) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        booking_plan(item, context)
    return caught.value


def test_an_unmapped_tax_code_names_the_code_its_id_and_rate(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    tax = item["accountingEntryLines"][0]["tax"]
    tax.update(code="I0", rate=0)
    refused = _refusal(item, booking_fixtures.with_context(taxes={}))
    assert refused.fix == {"fix": "tax_code", "code_id": tax["id"], "code": "I0", "rate": "0"}
    assert str(refused).startswith("Pleo tax code “I0” (0 %) is not mapped to an Odoo tax.")


def test_a_tax_code_mapped_to_the_wrong_kind_of_odoo_tax_names_the_code(booking_fixtures):
    item = booking_fixtures.item("card_purchase_reverse_charge")
    tax = item["accountingEntryLines"][0]["tax"]
    taxes = {k: replace(t, reverse=False) for k, t in booking_fixtures.context.taxes.items()}
    refused = _refusal(item, booking_fixtures.with_context(taxes=taxes))
    assert refused.fix == {"fix": "tax_code", "code_id": tax["id"], "code": tax["code"]}


def test_an_unmapped_category_names_the_pleo_category(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    account = item["accountingEntryLines"][0]["account"]
    account.update(name="Meals", code="7200")
    categories = {k: v for k, v in booking_fixtures.context.categories.items() if k != account["id"]}
    refused = _refusal(item, booking_fixtures.with_context(categories=categories))
    assert refused.fix == {"fix": "category", "account_id": account["id"], "name": "Meals"}


def test_an_unmapped_tag_names_the_pleo_tag(booking_fixtures):
    item = next(item for n in range(3) for item in [booking_fixtures.item("card_purchase_split", n)]
                if any(line["tags"] for line in item["accountingEntryLines"]))
    tag = next(tag for line in item["accountingEntryLines"] for tag in line["tags"])
    refused = _refusal(item, booking_fixtures.with_context(tags={}))
    assert refused.fix == {"fix": "tag", "tag_id": tag["id"], "name": tag["code"]}


@pytest.mark.parametrize("setting, kind", [("wallet_account_id", "card_purchase"), ("card_journal_id", "fee"),
                                           ("topup_bank_account_id", "wallet_topup")])
def test_a_missing_account_or_journal_names_the_booking_setting(booking_fixtures, setting, kind):
    refused = _refusal(booking_fixtures.item(kind), booking_fixtures.with_context(**{setting: None}))
    assert refused.fix == {"fix": "setting", "setting": setting}


def test_a_kind_the_client_has_not_enabled_names_the_booking_per_expense_type(booking_fixtures):
    context = booking_fixtures.with_context(kind_modes={**booking_fixtures.context.kind_modes, "fee": "disabled"})
    refused = _refusal(booking_fixtures.item("fee"), context)
    assert refused.fix == {"fix": "setting", "setting": "kind_modes", "kind": "fee"}


def test_a_currency_odoo_has_not_activated_names_the_currency(booking_fixtures):
    item = booking_fixtures.item("card_purchase_foreign")
    refused = _refusal(item, booking_fixtures.with_context(currency_ids={"EUR": 126}))
    assert refused.fix == {"fix": "odoo_currency", "currency": item["amount"]["inSupplierCurrency"]["currency"]}


def test_pleos_own_data_at_fault_names_nothing_to_fix_in_the_portal(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    item["accountingEntryLines"][0]["account"] = None
    assert _refusal(item, booking_fixtures.context).fix == {}
    item = booking_fixtures.item("out_of_pocket")
    item["user"] = None
    assert _refusal(item, booking_fixtures.context).fix == {}


@pytest.fixture
def failed_record():
    client = ClientFactory(name="Detail BV")
    run = ExportRun.objects.create(client=client, status="running", started_at=timezone.now(), triggered_by="test")
    record = ExportRecord.objects.create(client=client, pleo_accounting_entry_id="entry-1", kind="card_purchase",
                                         amount=Decimal("10.00"), currency="EUR")
    return record, run


def test_the_failure_detail_is_kept_on_the_record_and_cleared_by_a_failure_without_one(failed_record):
    record, run = failed_record
    detail = {"fix": "tax_code", "code_id": "c0de", "code": "I0", "rate": "0"}
    job = Job(run=run, client=record.client, odoo=None, pleo=None, context=None)
    job.fail(record, "Pleo tax code “I0” (0 %) is not mapped to an Odoo tax.", "tax_code_unknown", detail)
    record.refresh_from_db()
    assert (record.status, record.failure_detail) == ("failed", detail)
    assert job.updates[0]["failureReasonType"] == "tax_code_unknown"

    record_failed(record, run, "Odoo could not be reached.", "accounting_system_unreachable")
    record.refresh_from_db()
    assert record.failure_detail == {} and record.last_error == "Odoo could not be reached."


def test_a_skipped_record_and_a_record_taken_into_a_new_run_keep_no_old_detail(failed_record):
    record, run = failed_record
    record_failed(record, run, "Set the card-expense journal.", "missing_configuration",
                  {"fix": "setting", "setting": "card_journal_id"})
    prepared = records_prepare(run=run, client=record.client, items=[{"accountingEntryId": "entry-1"}])
    # The booking's save (results.record_exported saves the whole record) writes the cleared detail.
    assert prepared["entry-1"].failure_detail == {}
    record_skipped(record, run, "Wallet top-ups are not exported for this client.")
    record.refresh_from_db()
    assert record.status == "skipped" and record.failure_detail == {}
