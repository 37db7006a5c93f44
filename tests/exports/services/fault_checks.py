"""What every fault test checks once the services are back: the books in the emulated Odoo, the item
states in the Pleo sandbox and the export records tell the same story, nothing lost, nothing twice."""
from collections import Counter

from exports.models import ExportRecord
from sandbox.odoo.models import EmulatedRecord
from sandbox.pleo.models import File
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

__all__ = ["books_settled", "job_seed"]


def job_seed(fake_pleo, count=5, seed=11, with_receipts=True):
    """A Pleo export job of card purchases (one item per expense), receipts attached."""
    items = export_items_generate(company=fake_pleo.company, count=count, seed=seed, kinds=["card_purchase"],
                                  with_receipts=with_receipts)
    return items, export_job_create(company=fake_pleo.company, items=items)


def books_settled(*, client, fake_odoo, job) -> list[ExportRecord]:
    """Assert the promise after recovery and return the client's export records.

    Each exported expense is one posted move in Odoo whose `ref` is unique, carrying each of its receipts
    once; no move exists for an expense that was not exported; each Pleo item's final state matches its
    export record; the job is closed; no record is left pending or exporting.
    """
    records = list(ExportRecord.objects.filter(client=client))
    assert records, "nothing was exported"
    left = [(r.pleo_accounting_entry_id, r.status, r.last_error) for r in records
            if r.status in ("pending", "exporting")]
    assert left == [], "records left unsettled"

    moves = [m for m in EmulatedRecord.objects.filter(database=fake_odoo.database, model="account.move")
             if (m.values.get("ref") or "").startswith("PLEO-") and not m.values["ref"].endswith(" payment")]
    refs = Counter(m.values["ref"] for m in moves)
    assert [ref for ref, n in refs.items() if n > 1] == [], "an expense was booked twice"
    exported = [r for r in records if r.status == "exported"]
    assert exported, [(r.status, r.last_error) for r in records]
    assert set(refs) == {r.odoo_reference for r in exported}, "a move without its exported record, or the reverse"
    by_id = {m.record_id: m for m in moves}
    attachments = Counter(
        (a.values["res_id"], a.values["name"])
        for a in EmulatedRecord.objects.filter(database=fake_odoo.database, model="ir.attachment")
        if a.values.get("res_model") == "account.move"
    )
    assert [key for key, n in attachments.items() if n > 1] == [], "a receipt was attached twice"
    for record in exported:
        move = by_id[record.odoo_record_id]
        assert move.values["ref"] == record.odoo_reference and move.values["state"] == "posted"
        receipts = File.objects.filter(export_item__uuid=record.pleo_accounting_entry_id).count()
        attached = sum(1 for (res_id, _), n in attachments.items() if res_id == record.odoo_record_id)
        assert attached == receipts, f"{record.odoo_reference}: {attached} of {receipts} receipts attached"

    job.refresh_from_db()
    assert job.status in ("completed", "completed_with_errors")
    statuses = {str(ji.export_item.uuid): ji.status for ji in job.items.select_related("export_item")}
    expected = {r.pleo_accounting_entry_id: "failed" if r.status == "failed" else "successful" for r in records}
    assert statuses == expected
    return records
