"""The preview: what the next export would book, read from Pleo and Odoo without writing anywhere."""
from dataclasses import dataclass

from exports.booking import booking_plan
from exports.items import BookingRefused, item_record_facts
from exports.plans import MovePlan, SkipPlan
from exports.context import booking_context_build
from exports.services import open_items
from integrations.models import Client
from integrations.pleo import contract
from integrations.selectors import odoo_company_books_get, pleo_company_client_get


@dataclass
class PreviewRow:
    """One pending Pleo expense and the plan of the Odoo record the export would create, or why not."""

    accounting_entry_id: str
    summary: str
    plan: MovePlan | SkipPlan | None = None
    refusal: str = ""


def export_preview(*, client: Client) -> list[PreviewRow]:
    """What the next export would book, read from Pleo and Odoo without writing anything anywhere.

    No `started` event is sent: export items can be read while a job is pending (§5.2).
    """
    pleo_connection, pleo = pleo_company_client_get(client=client)
    _, books = odoo_company_books_get(client=client)
    context = booking_context_build(client=client, books=books)
    rows = []
    for job in pleo.export_jobs(company_id=pleo_connection.company_id, statuses=contract.RESUMABLE_JOB_STATUSES):
        for item in open_items(pleo, job["id"]):
            facts = item_record_facts(item)
            row = PreviewRow(item["accountingEntryId"],
                             f"{facts['entry_date']} {facts['kind']} {facts['supplier']} {facts['amount']} "
                             f"{facts['currency']}")
            try:
                row.plan = booking_plan(item, context)
            except BookingRefused as exc:
                row.refusal = str(exc)
            rows.append(row)
    return rows
