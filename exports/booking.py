"""The booking builder: one Pleo export item -> the exact Odoo record the export would create.

Pure: no HTTP, no database, no clock. The pipeline (exports.services), the preview, the dry run and the
property tests call `booking_plan(item, context)` with a `BookingContext` the pipeline builds from the
client's settings and mappings, and get a `MovePlan` (create it), a `SkipPlan` (record it as skipped)
or a `BookingRefused` (fail the item in Pleo with `failure_reason_type` and `str(exc)`).

Money: every amount is a Decimal rounded to its currency (integrations.pleo.contract), never a float.
`MovePlan.draft` holds Decimals too; integrations.odoo.drafts turns it into Odoo's create values and JSON
numbers at the very edge, so nothing here rounds through binary floats.

Booking rules (pleo-api README §6, odoo-contract README; each choice where the contract is silent is
commented where it is made):
- Amounts are Pleo's wallet-currency amounts (§6.6). Per line: paid = lineAmount; VAT = tax.amount;
  for inclusive and exclusive codes the expense line is paid − VAT (the net) and Odoo adds the VAT as
  a tax line; for reverse-charge codes the expense line is the amount paid, and Odoo adds +VAT and −VAT.
- A journal entry balances AT CREATE: the counter line is the nets plus the VAT Odoo will compute
  (`odoo_vat_estimate`), because Odoo refuses an unbalanced entry without tax and silently adds a
  suspense "Automatic Balancing Line" to one with tax (recordings 81/94). The pipeline then writes the
  tax lines to Pleo's VAT and the counter line to Pleo's total (recordings 82-86).
- A vendor bill is in the supplier's currency with Pleo's prices; Odoo converts it at its own rate, so the
  pipeline then sets each line's company amount to what Pleo settled (`line_amounts`, recordings 101-106)
  and the tax lines to Pleo's VAT; Odoo moves the payables line with them.
- Directions come from `type`/`subType` (contract.export_item_direction), never from a sign (§13 Q2).
"""
import logging

from exports.amounts import item_amounts, with_taxes
from exports.builder import PlanBuilder
from exports.item_types import (
    ALWAYS_ENTRY_TYPES,
    BILLABLE_TYPES,
    CATEGORY_TYPES,
    FOLLOW_PLEO_METHODS,
    REFUND_LIKE_SUB_TYPES,
    REFUND_LIKE_TYPES,
    TYPE_LABELS,
)
from exports.items import BookingRefused, bookable_date, clean_text, shape_check
from exports.plans import BookingContext, MovePlan, SkipPlan
from integrations.pleo.contract import export_item_direction, optional_enum
from integrations.pleo.errors import PleoServerError

logger = logging.getLogger(__name__)


def booking_plan(item: dict, context: BookingContext) -> MovePlan | SkipPlan:
    """The Odoo record to create for one Pleo export item (§6), or why it is skipped. Raises BookingRefused."""
    shape_check(item)
    if list(item) == ["accountingEntryId"]:  # the stand-in of export_items_for_entries
        raise BookingRefused("Pleo listed this expense in the export job but sent no export item with its "
                             "accountingEntryId; it was not booked. Export it again from Pleo.", "validation_failure")
    try:
        return _plan(item, context)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError):
        # A shape no check above foresaw fails this item with a reason, never the whole job.
        logger.exception("Export item %s could not be read", clean_text(item.get("accountingEntryId"), 40))
        raise BookingRefused("Pleo sent this expense in a shape the portal cannot read; it was not booked. The "
                             "details are in the portal's log.", "unexpected_failure") from None


def _plan(item: dict, context: BookingContext) -> MovePlan | SkipPlan:
    if not item.get("type"):
        raise BookingRefused("Pleo sent this expense without its type (field “type”).", "validation_failure")
    try:
        direction = export_item_direction(item)
    except PleoServerError as exc:
        raise BookingRefused(f"{exc} (field “type”)", "validation_failure") from None
    item_type = item["type"]
    label = TYPE_LABELS[item_type]
    entry_id = str(item.get("accountingEntryId") or "")
    if not entry_id:
        raise BookingRefused(f"Pleo sent a {label} without an accounting entry id (field “accountingEntryId”).",
                             "validation_failure")
    kind = _booking_kind(item, item_type, context, label)
    if kind == "skip":
        return SkipPlan(entry_id, item_type, f"{label[0].upper()}{label[1:]}s are not exported for this client "
                                             "(booked from the bank statement).")
    booked_on = bookable_date(item.get("date"), f"this {label}", "date")
    if booked_on is None:
        raise BookingRefused(f"Pleo sent this {label} without a readable date ({item.get('date')!r}, field “date”).",
                             "validation_failure")
    refund_like = item_type in REFUND_LIKE_TYPES or optional_enum(item, "subType") in REFUND_LIKE_SUB_TYPES
    taxed = item_type in CATEGORY_TYPES
    amounts = with_taxes(item_amounts(item, context, label, refund_like=refund_like, taxed=taxed), context)
    currency_id = None
    if amounts.supplier_currency != context.company_currency:
        currency_id = context.currency_ids.get(amounts.supplier_currency)
        if currency_id is None:
            raise BookingRefused(
                f"The currency {amounts.supplier_currency} is not active in Odoo; activate it in Odoo "
                "(Accounting → Configuration → Currencies) and export again.", "validation_failure",
                fix={"fix": "odoo_currency", "currency": amounts.supplier_currency})
    builder = PlanBuilder(item, context, item_type, label, direction, booked_on, amounts, currency_id)
    return builder.bill() if kind == "bill" else builder.entry()


def _booking_kind(item: dict, item_type: str, context: BookingContext, label: str) -> str:
    """"entry", "bill" or "skip" for this item under the client's choice for its type."""
    fix = {"fix": "setting", "setting": "kind_modes", "kind": item_type}
    if item_type not in context.kind_modes:
        # A type the client never configured is never guessed.
        raise BookingRefused(f"Booking of {label}s is not set up for this client. Choose how to book them in the "
                             "client's booking settings, then retry the record.", "missing_configuration",
                             fix=fix)
    mode = context.kind_modes[item_type]
    if mode == "disabled":
        if item_type in ALWAYS_ENTRY_TYPES:
            # The client books Wallet transfers from the bank statement (TopUpHandling.IGNORE): the item is
            # recorded as skipped and leaves Pleo's queue instead of failing every run.
            return "skip"
        raise BookingRefused(f"Export of {label}s is not enabled for this client; enable it in the booking "
                             "settings to export it.", "missing_configuration", fix=fix)
    if mode == "journal_entry":
        return "entry"
    if mode == "vendor_bill":
        if item_type in ALWAYS_ENTRY_TYPES:
            return "entry"  # §6.4: top-ups and unloads are always journal entries
        if item_type not in BILLABLE_TYPES:
            raise BookingRefused(f"A {label} cannot be booked as a vendor bill; choose journal entry for it in "
                                 "the booking settings.", "invalid_configuration", fix=fix)
        return "bill"
    if mode == "follow_pleo":
        method = (item.get("bookkeeping") or {}).get("method")
        if method not in FOLLOW_PLEO_METHODS:
            raise BookingRefused(f"Pleo asks for the bookkeeping method “{method}”, which the portal does not know. "
                                 f"Choose journal entry or vendor bill for {label}s in the booking settings instead "
                                 "of following Pleo, then retry the record.", "validation_failure", fix=fix)
        kind = FOLLOW_PLEO_METHODS[method]  # null is the docs' "legacy support": a journal entry
        if kind == "bill" and (item_type not in BILLABLE_TYPES or item_type in ALWAYS_ENTRY_TYPES):
            # accounts_payable on a payment or a fee: its "payment entry" half is the journal entry.
            kind = "entry"
        return kind
    raise BookingRefused(f"The booking settings hold a choice for {label}s the portal does not know (“{mode}”). "
                         "Choose again in the booking settings, then retry the record.",
                         "invalid_configuration", fix=fix)
