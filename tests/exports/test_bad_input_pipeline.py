"""Bad input through the whole export: the Pleo sandbox serves a broken item (or the emulated Odoo a web
page), and the bookkeeper sees a reason naming what is wrong on the export record and in Pleo, while the
other items of the job are booked once and no record is left "exporting"."""
import re

import pytest

from exports.models import ExportRecord, ExportRun
from exports.services import export_queue_poll
from integrations.odoo.errors import OdooProtocolError
from integrations.pleo.client import PleoClient
from integrations.pleo.errors import PleoError
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_fault_add
from sandbox.pleo.models import File
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create, fault_add

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out

__all__: list[str] = []

CONTROL = "\x00\x1b[31m\r\n"


def seed_job(fake_pleo, count=4, **options):
    items = export_items_generate(company=fake_pleo.company, count=count, seed=11,
                                  kinds=options.pop("kinds", ["card_purchase"]), with_receipts=options.pop(
                                      "with_receipts", False), **options)
    return items, export_job_create(company=fake_pleo.company, items=items)


def odoo_refs(fake_odoo) -> list[str]:
    refs = [r.values.get("ref") for r in EmulatedRecord.objects.filter(database=fake_odoo.database,
                                                                      model="account.move")]
    return [ref for ref in refs if ref and ref.startswith("PLEO-")]


def pleo_item(job, entry_id):
    return job.items.select_related("export_item").get(export_item__uuid=entry_id)


def assert_nothing_else_lost(client, fake_odoo, broken_id):
    """Every other item is settled (booked, or failed for a reason of its own), none twice, none stuck."""
    records = ExportRecord.objects.filter(client=client).exclude(pleo_accounting_entry_id=broken_id)
    assert not records.filter(status="exporting").exists()
    assert records.filter(status="exported").exists()
    for record in records.filter(status="failed"):
        assert "tax code" in record.last_error  # the seeded 0 % code is unmapped on purpose
    refs = odoo_refs(fake_odoo)
    assert len(refs) == len(set(refs))
    assert all(not ref.endswith(str(broken_id)) for ref in refs)
    assert ExportRun.objects.get(client=client).status == "failures"  # it did its work; the broken item failed


def _set(path):
    def apply(payload, value):
        target = payload
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return apply


_DELETE = object()
AMOUNT_VALUE = ("amount", "inWalletCurrency", "value")
CASES = {
    # name: (path, value, words the reason must hold)
    "amount-as-string": (AMOUNT_VALUE, "1250", ["not a number", "amount.inWalletCurrency"]),
    "amount-null": (AMOUNT_VALUE, None, ["not a number", "amount.inWalletCurrency"]),
    "amount-object-missing": (("amount", "inWalletCurrency"), _DELETE, ["amount.inWalletCurrency"]),
    "amount-not-an-object": (("amount",), "12.50 EUR", ["“amount”", "text where the contract has an object"]),
    "no-accountingEntryId": (("accountingEntryId",), _DELETE, ["no export item with its accountingEntryId"]),
    "accountingEntryId-a-number": (("accountingEntryId",), 42, ["accountingEntryId"]),
    "no-lines": (("accountingEntryLines",), _DELETE, ["accountingEntryLines"]),
    "lines-as-object": (("accountingEntryLines",), {"0": {}}, ["“accountingEntryLines”", "a list"]),
    "line-as-text": (("accountingEntryLines",), ["line"], ["accountingEntryLines[0]"]),
    "unknown-kind": (("type",), "teleportation", ["unknown type 'teleportation'", "“type”"]),
    "no-kind": (("type",), _DELETE, ["without its type", "“type”"]),
    "currency-not-iso": (("amount", "inWalletCurrency", "currency"), "EURO", ["'EURO'", "ISO 4217"]),
    "lines-not-summing": (AMOUNT_VALUE, 999999, ["add up to", "9999.99"]),
    "supplier-as-text": (("supplier",), "ACME", ["“supplier”"]),
    "zero": (AMOUNT_VALUE, 0, ["amount of 0"]),
    "negative-purchase": (AMOUNT_VALUE, -1250, ["negative amount"]),
    "1e15": (AMOUNT_VALUE, 1e15, ["more than Odoo can store", "amount.inWalletCurrency"]),
    "more-decimals-than-the-currency": (AMOUNT_VALUE, 1250.5, ["12.505", "cannot hold"]),
    "year-1900": (("date",), "1900-01-01T00:00:00Z", ["1900-01-01", "“date”"]),
    "year-2200": (("date",), "2200-06-30T00:00:00Z", ["2200-06-30", "“date”"]),
    "date-unreadable": (("date",), "last Tuesday", ["readable date"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_item_fails_alone_with_a_reason_naming_what_is_wrong(export_client, fake_odoo, fake_pleo, case):
    path, value, words = CASES[case]
    items, job = seed_job(fake_pleo)
    broken = items[0]
    _set(path)(broken.payload, value)
    broken.save()

    export_queue_poll(client_id=export_client.pk)

    record = ExportRecord.objects.get(client=export_client, pleo_accounting_entry_id=str(broken.uuid))
    assert record.status == "failed" and record.odoo_record_id is None
    for word in words:
        assert word in record.last_error
    assert "Traceback" not in record.last_error and "Error(" not in record.last_error
    in_pleo = pleo_item(job, broken.uuid)
    assert in_pleo.status == "failed" and in_pleo.failure_reason == record.last_error
    assert in_pleo.failure_reason_type in ("validation_failure", "unexpected_failure")
    assert_nothing_else_lost(export_client, fake_odoo, broken.uuid)


@pytest.mark.django_db
def test_an_item_served_as_text_instead_of_an_object_fails_its_entry_only(export_client, fake_odoo, fake_pleo,
                                                                          monkeypatch):
    items, job = seed_job(fake_pleo)
    real = PleoClient.export_items

    def with_garbage(self, job_id):
        served = real(self, job_id)
        return ["garbage" if item["accountingEntryId"] == str(items[0].uuid) else item for item in served]

    monkeypatch.setattr(PleoClient, "export_items", with_garbage)
    export_queue_poll(client_id=export_client.pk)

    record = ExportRecord.objects.get(client=export_client, pleo_accounting_entry_id=str(items[0].uuid))
    assert record.status == "failed" and "accountingEntryId" in record.last_error
    assert pleo_item(job, items[0].uuid).status == "failed"
    assert_nothing_else_lost(export_client, fake_odoo, items[0].uuid)


@pytest.mark.both_databases
@pytest.mark.django_db
def test_control_characters_and_very_long_text_are_cleaned_for_odoo_and_kept_on_the_record(
        export_client, fake_odoo, fake_pleo, monkeypatch):
    # NUL cannot be stored in the Pleo sandbox's own JSON column on PostgreSQL either, so the text is put into
    # the answer as it leaves the sandbox, at the portal's HTTP client.
    items, job = seed_job(fake_pleo, count=2)
    entry_id = str(items[0].uuid)
    note = f"Team{CONTROL}dinner " + "x" * 10_000
    supplier = f"Café{CONTROL}Rouge"
    real = PleoClient.export_items

    def with_control_characters(self, job_id):
        served = real(self, job_id)
        for item in served:
            if item["accountingEntryId"] == entry_id:
                item["note"], item["supplier"]["name"] = note, supplier
                item["user"]["name"] = "Ann\x00 Smith"
        return served

    monkeypatch.setattr(PleoClient, "export_items", with_control_characters)
    export_queue_poll(client_id=export_client.pk)

    record = ExportRecord.objects.get(client=export_client, pleo_accounting_entry_id=entry_id)
    assert record.status == "exported", record.last_error
    # Odoo got one-line labels of at most 256 characters, free of control characters.
    move = EmulatedRecord.objects.get(database=fake_odoo.database, model="account.move",
                                      record_id=record.odoo_record_id)
    labels = [line.values["name"] for line in EmulatedRecord.objects.filter(
        database=fake_odoo.database, model="account.move.line", values__move_id=move.record_id)]
    assert labels and all(len(label) <= 256 for label in labels)
    assert not any(re.search(r"[\x00-\x1f\x7f]|\[31m", label) for label in labels)
    assert any(label.startswith("Café Rouge · Ann Smith · Team dinner xxx") for label in labels)
    # The record shows cleaned text and keeps Pleo's original (NUL shown as ␀, PostgreSQL refuses NUL).
    assert record.supplier == "Café Rouge" and record.spender == "Ann Smith"
    assert record.description.startswith("Team dinner xxx") and "\x00" not in record.description
    record.refresh_from_db()
    assert record.pleo_payload["note"] == note.replace("\x00", "\u2400")
    assert record.pleo_payload["supplier"]["name"] == "Café\u2400\x1b[31m\r\nRouge"


@pytest.mark.both_databases
@pytest.mark.django_db
def test_a_nul_in_a_category_name_never_reaches_the_database_in_the_reason(export_client, fake_odoo, fake_pleo):
    items, job = seed_job(fake_pleo, count=2)
    broken = items[0]
    broken.payload["accountingEntryLines"][0]["account"] = {"id": "not-mapped", "name": "Gifts\x1b\r", "code": "9"}
    broken.save()

    export_queue_poll(client_id=export_client.pk)

    record = ExportRecord.objects.get(client=export_client, pleo_accounting_entry_id=str(broken.uuid))
    assert record.status == "failed" and "Category “Gifts” (9) is not mapped" in record.last_error


@pytest.mark.django_db
@pytest.mark.parametrize("content, reason_type, words", [
    (b"", "receipt_download_failure", "is empty"),
    (b"<html><body>Access denied</body></html>", "receipt_conversion_failure", "labels “application/pdf”"),
], ids=["empty", "pdf-that-is-a-web-page"])
def test_an_empty_or_mislabelled_receipt_fails_only_its_item(export_client, fake_odoo, fake_pleo, content,
                                                            reason_type, words):
    items, job = seed_job(fake_pleo, with_receipts=True)
    file = File.objects.filter(export_item=items[0]).first()
    file.mime_type, file.content = "application/pdf", content
    file.save()

    export_queue_poll(client_id=export_client.pk)

    record = ExportRecord.objects.get(client=export_client, pleo_accounting_entry_id=str(items[0].uuid))
    assert record.status == "failed" and record.failure_reason_type == reason_type
    assert words in record.last_error and record.odoo_record_id is None  # nothing booked without its receipt
    assert pleo_item(job, items[0].uuid).status == "failed"
    assert_nothing_else_lost(export_client, fake_odoo, items[0].uuid)


@pytest.mark.django_db
def test_odoo_answering_a_web_page_fails_the_run_with_what_to_check(export_client, fake_odoo, fake_pleo):
    items, job = seed_job(fake_pleo, count=2)
    emulated_fault_add(database=fake_odoo.database, kind="html_page", model="res.company", method="read")

    with pytest.raises(OdooProtocolError):
        export_queue_poll(client_id=export_client.pk)

    run = ExportRun.objects.get(client=export_client)
    assert run.status == "failed"
    assert run.error == (f"Odoo at {fake_odoo.url} answered with a web page instead of JSON-RPC: check the URL "
                         "and database name.")
    assert not ExportRecord.objects.filter(client=export_client, status="exporting").exists()
    assert odoo_refs(fake_odoo) == []


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["html_page", "malformed_json"])
def test_a_bad_answer_to_the_create_fails_the_batch_clearly_and_the_next_run_books_it_once(
        export_client, fake_odoo, fake_pleo, fault):
    items, job = seed_job(fake_pleo)
    emulated_fault_add(database=fake_odoo.database, kind=fault, model="account.move", method="create")

    export_queue_poll(client_id=export_client.pk)

    records = ExportRecord.objects.filter(client=export_client)
    assert not records.filter(status="exporting").exists()
    failed = [r for r in records if r.status == "failed" and "tax code" not in r.last_error]
    said = "web page instead of JSON-RPC" if fault == "html_page" else "Odoo did not answer"
    assert failed and all(said in r.last_error and "not booked" in r.last_error for r in failed)
    assert odoo_refs(fake_odoo) == []

    from exports.retry import export_records_retry

    export_records_retry(records=ExportRecord.objects.filter(pk__in=[r.pk for r in failed]))
    export_queue_poll(client_id=export_client.pk)

    refs = odoo_refs(fake_odoo)
    assert len(refs) == len(set(refs)) == len(failed)
    assert all(r.status == "exported" for r in ExportRecord.objects.filter(pk__in=[r.pk for r in failed]))


@pytest.mark.django_db
def test_pleo_answering_a_web_page_fails_the_run_with_what_to_check_and_the_next_run_books_all(
        export_client, fake_odoo, fake_pleo):
    items, job = seed_job(fake_pleo)
    fault_add(company=fake_pleo.company, method="GET", path_prefix="/v3/export-items", kind="html_page")

    with pytest.raises(PleoError):
        export_queue_poll(client_id=export_client.pk)

    run = ExportRun.objects.get(client=export_client)
    assert run.status == "failed" and run.error.startswith(
        "Pleo answered with a web page instead of JSON (HTTP 200): check the Pleo API address")
    assert fake_pleo.token not in run.error and odoo_refs(fake_odoo) == []

    export_queue_poll(client_id=export_client.pk)

    job.refresh_from_db()
    assert job.status in ("completed", "completed_with_errors")
    exported = ExportRecord.objects.filter(client=export_client, status="exported").count()
    assert exported and len(odoo_refs(fake_odoo)) == len(set(odoo_refs(fake_odoo))) == exported


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", [("GET", "/v3/export-jobs"), ("PUT", "/v3/export-jobs/")],
                         ids=["job-list", "result-report"])
def test_pleo_json_cut_off_on_the_way_is_settled_by_the_next_run_without_booking_twice(
        export_client, fake_odoo, fake_pleo, method, path):
    items, job = seed_job(fake_pleo)
    fault_add(company=fake_pleo.company, method=method, path_prefix=path, kind="truncated_json")

    with pytest.raises(PleoError) as caught:
        export_queue_poll(client_id=export_client.pk)
    assert str(caught.value).startswith("Pleo's answer broke off before it was complete")
    assert not ExportRecord.objects.filter(client=export_client, status="exporting").exists()

    export_queue_poll(client_id=export_client.pk)

    job.refresh_from_db()
    assert job.status in ("completed", "completed_with_errors")
    refs = odoo_refs(fake_odoo)
    assert refs and len(refs) == len(set(refs))
    statuses = {str(ji.export_item.uuid): ji.status for ji in job.items.select_related("export_item")}
    for record in ExportRecord.objects.filter(client=export_client):
        assert statuses[record.pleo_accounting_entry_id] == ("successful" if record.status == "exported" else "failed")
