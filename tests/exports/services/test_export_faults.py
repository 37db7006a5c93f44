"""Bad input and failures in the middle of an export: a clear reason where a person sees it, the
right status in Pleo, every other item exported, and nothing booked twice."""
import pytest

from exports.models import ExportRecord
from exports.services import export_queue_poll
from integrations.pleo.errors import PleoServerError
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_company_lock_date_set, emulated_fault_add
from sandbox.pleo.models import File
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create, fault_add

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out


def seed_job(fake_pleo, count=4, seed=7, **options):
    items = export_items_generate(company=fake_pleo.company, count=count, seed=seed,
                                  kinds=options.pop("kinds", ["card_purchase"]), **options)
    return items, export_job_create(company=fake_pleo.company, items=items)


def moves_by_ref(fake_odoo):
    refs = [r.values.get("ref")
            for r in EmulatedRecord.objects.filter(database=fake_odoo.database, model="account.move")]
    return [ref for ref in refs if ref and ref.startswith("PLEO-")]


def job_item_statuses(job):
    return {str(ji.export_item.uuid): ji.status for ji in job.items.select_related("export_item")}


def records(client):
    return {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(client=client)}


@pytest.mark.django_db
def test_odoo_timing_out_after_creating_books_each_entry_once(export_client, fake_odoo, fake_pleo):
    items, job = seed_job(fake_pleo, with_receipts=False)
    emulated_fault_add(database=fake_odoo.database, kind="after_commit_error", model="account.move", method="create")

    export_queue_poll(client_id=export_client.pk)

    refs = moves_by_ref(fake_odoo)
    assert len(refs) == len(set(refs))  # Odoo created them once; the run adopted them by reference
    booked = [r for r in records(export_client).values() if r.status == "exported"]
    assert {r.odoo_reference for r in booked} <= set(refs)
    assert booked and all(r.odoo_name for r in booked)


@pytest.mark.django_db
def test_pleo_failing_while_results_are_reported_is_settled_by_the_next_run(export_client, fake_odoo, fake_pleo):
    items, job = seed_job(fake_pleo, with_receipts=False)
    fault_add(company=fake_pleo.company, method="PUT", path_prefix=f"/v3/export-jobs/{job.uuid}/items",
              kind="http_500", count=1)

    with pytest.raises(PleoServerError):
        export_queue_poll(client_id=export_client.pk)
    first = sorted(moves_by_ref(fake_odoo))
    job.refresh_from_db()
    assert job.status == "in_progress"  # Pleo has not heard: the job is resumed, not started again

    runs = export_queue_poll(client_id=export_client.pk)
    assert sorted(moves_by_ref(fake_odoo)) == first  # nothing booked twice
    job.refresh_from_db()
    assert job.status in ("completed", "completed_with_errors")
    statuses = job_item_statuses(job)
    for entry_id, record in records(export_client).items():
        assert statuses[entry_id] == ("successful" if record.status == "exported" else "failed")
    assert runs[0].status == "succeeded"


@pytest.mark.django_db
def test_pleo_rate_limiting_a_read_is_waited_out(export_client, fake_odoo, fake_pleo):
    seed_job(fake_pleo, with_receipts=False)
    fault_add(company=fake_pleo.company, method="GET", path_prefix="/v3/export-items", kind="http_429", retry_after=0)
    runs = export_queue_poll(client_id=export_client.pk)
    assert runs[0].status == "succeeded"
    assert runs[0].exported_count > 0, [(r.status, r.last_error) for r in ExportRecord.objects.all()]


@pytest.mark.django_db
def test_receipt_of_an_unknown_type_fails_only_its_item(export_client, fake_odoo, fake_pleo):
    items, job = seed_job(fake_pleo, with_receipts=True)
    bad = File.objects.filter(export_item=items[0]).first()
    bad.mime_type = "application/x-msdownload"
    bad.save()

    export_queue_poll(client_id=export_client.pk)

    by_entry = records(export_client)
    failed = by_entry[str(items[0].uuid)]
    assert failed.status == "failed" and failed.failure_reason_type == "receipt_conversion_failure"
    assert "application/x-msdownload" in failed.last_error
    assert failed.odoo_record_id is None  # nothing booked without its receipt
    assert job_item_statuses(job)[str(items[0].uuid)] == "failed"
    others = [r for key, r in by_entry.items() if key != str(items[0].uuid)]
    assert any(r.status == "exported" for r in others)


@pytest.mark.django_db
def test_receipt_larger_than_allowed_fails_only_its_item(export_client, fake_odoo, fake_pleo, settings):
    items, job = seed_job(fake_pleo, with_receipts=True)
    settings.RECEIPT_MAX_BYTES = min(len(bytes(f.content)) for f in File.objects.filter(export_item=items[0])) - 1
    export_queue_poll(client_id=export_client.pk)
    failed = records(export_client)[str(items[0].uuid)]
    assert failed.failure_reason_type == "receipt_file_size_limit_exceeded"
    assert "larger than" in failed.last_error


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["first_open_day", "leave_draft", "fail"])
def test_locked_period_follows_the_clients_policy(export_client, fake_odoo, fake_pleo, policy):
    import datetime

    from mappings.booking_settings import booking_settings_update

    booking_settings_update(client=export_client, data={"lock_date_policy": policy})
    items, job = seed_job(fake_pleo, count=2, with_receipts=False)
    emulated_company_lock_date_set(database=fake_odoo.database, company_id=1,
                                   fiscalyear_lock_date=datetime.date(2025, 12, 31))

    export_queue_poll(client_id=export_client.pk)

    for record in records(export_client).values():
        if "tax code" in record.last_error:
            continue
        if policy == "fail":
            assert record.status == "failed" and "locked" in record.last_error
            assert record.odoo_record_id is None
        elif policy == "leave_draft":
            assert record.status == "exported" and record.odoo_state == "draft"
        else:
            assert record.status == "exported" and record.odoo_state == "posted"
            assert record.booked_date > datetime.date(2025, 12, 31) > record.entry_date
            assert "locked" in record.differences and str(record.entry_date) in record.differences
