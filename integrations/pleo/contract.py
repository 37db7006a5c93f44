"""Facts of the Pleo contract the client relies on, and every choice it makes where the contract is silent.

The contract is shared/pleo-api/README.md (beside the repository). Each open question (§13 Qn) or
discrepancy (§12.n) the portal had to settle has exactly one constant or function here, with the reason
it is the safest reading, so that an answer from Pleo changes one place.
tests/integrations/pleo/test_contract.py pins each choice.
"""
import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from integrations.pleo.errors import PleoServerError

__all__ = [
    "ITEM_UPDATE_BATCH_LIMIT",
    "TAG_ARCHIVE_BATCH_LIMIT",
    "PAGE_LIMIT",
    "JOB_EVENTS",
    "JOB_FAILURE_REASON_TYPES",
    "ITEM_FAILURE_REASON_TYPES",
    "RESUMABLE_JOB_STATUSES",
    "MONEY_VALUE_DIVISOR",
    "currency_decimals",
    "money_to_decimal",
    "export_item_direction",
    "invoice_payment_invoice_number",
    "optional_enum",
    "FILE_DOWNLOAD_SENDS_TOKEN",
    "sort_jobs_oldest_first",
    "job_needs_started_event",
    "EVENT_JOB_ID_FIELD",
    "export_job_event_body",
]

# --- Facts the contract states ------------------------------------------------------------------

# §5.3 step 7: more than 100 entries in one PUT /v3/export-jobs/{id}/items answers 413.
ITEM_UPDATE_BATCH_LIMIT = 100
# §7: POST /v0/tags/archive takes at most 100 ids.
TAG_ARCHIVE_BATCH_LIMIT = 100

# §5.2: the events the integration sends.
JOB_EVENTS = ("started", "failed", "completed", "completed_with_errors")

# §5.4 ExportJobFailureReasonType (job-level `failed`).
JOB_FAILURE_REASON_TYPES = (
    "invalid_configuration", "missing_configuration", "authentication_failure",
    "accounting_system_authentication_failure", "pleo_rate_limit", "accounting_system_rate_limit",
    "service_unreachable", "accounting_system_unreachable", "validation_failure", "authorization_failure",
    "integration_unusable", "job_expired", "service_timeout", "accounting_system_timeout", "canceled_by_user",
)

# §5.4 ExportJobItemFailureReasonType (per-item `failed`).
ITEM_FAILURE_REASON_TYPES = (
    "receipt_upload_failure", "receipt_download_failure", "receipt_file_size_limit_exceeded",
    "receipt_conversion_failure", "unexpected_failure", "invalid_configuration", "missing_configuration",
    "accounting_system_authentication_failure", "accounting_system_rate_limit", "accounting_system_unreachable",
    "validation_failure", "accounting_system_validation_failure", "authorization_failure",
    "accounting_system_timeout", "vendor_unknown", "account_unknown", "tax_code_unknown", "tag_unknown",
)

# --- Choices where the contract is silent --------------------------------------------------------

# §13 Q6 (listing details): no default or maximum `limit` is published, so the client sends none and
# lets Pleo choose its page size. A guessed limit above Pleo's maximum could be refused with a 400;
# following `endCursor` reads everything whatever the page size.
PAGE_LIMIT: int | None = None

# §13 Q3 (minor units): the only statement is "the amount in cents (amount/100)", for every currency,
# JPY and ISK included. The client divides by 100 for every currency, as written, and then requires the
# result to fit the currency's ISO 4217 decimals. A JPY value of 1250 would mean 12.50 yen, which cannot
# exist: that proves the other reading (ISO minor units), so the client refuses the amount instead of
# booking something a hundred times too small. (A JPY value that is a multiple of 100 cannot tell the
# two readings apart; the divide-by-100 text is then the only evidence there is.)
MONEY_VALUE_DIVISOR = Decimal(100)

_ZERO_DECIMAL_CURRENCIES = frozenset({
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
    "XAF", "XOF", "XPF",
})
_THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
_FOUR_DECIMAL_CURRENCIES = frozenset({"CLF", "UYW"})
# MoneyModel.currency is an ISO 4217 code; the enum's "UNDEFINED" (and anything else) names no currency.
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def currency_decimals(currency: str) -> int:
    """Decimals of the currency's unit per ISO 4217 (2 for anything not listed, as most currencies)."""
    if currency in _ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in _THREE_DECIMAL_CURRENCIES:
        return 3
    if currency in _FOUR_DECIMAL_CURRENCIES:
        return 4
    return 2


def money_to_decimal(money: dict) -> Decimal:
    """A `MoneyModel` ({"currency", "value"}) as an amount in the currency's unit, e.g.
    {"currency": "SEK", "value": 89696} -> Decimal("896.96").

    The sign is kept as given (§13 Q2, see `export_item_direction`). Raises PleoServerError when the
    currency is not an ISO 4217 code, or the value is not a JSON number (a string such as "1250" breaks
    the contract's `type: number`, and the portal does not guess what it meant) or does not fit the
    currency's decimals (§13 Q3 above)."""
    currency = money.get("currency")
    if not isinstance(currency, str) or not _CURRENCY_CODE.fullmatch(currency):
        raise PleoServerError(f"Pleo sent the currency code {currency!r}, which is not an ISO 4217 currency code.")
    raw = money.get("value")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise PleoServerError(f"Pleo sent an amount that is not a number ({raw!r} {currency}).")
    try:
        # str() first: a JSON number parsed as float keeps its written digits this way.
        amount = Decimal(str(raw)) / MONEY_VALUE_DIVISOR
    except ArithmeticError:
        raise PleoServerError(f"Pleo sent an amount that is not a number ({raw!r} {currency}).") from None
    if not amount.is_finite():
        raise PleoServerError(f"Pleo sent an amount that is not a number ({raw!r} {currency}).")
    exponent = Decimal(1).scaleb(-currency_decimals(currency))
    rounded = amount.quantize(exponent)
    if rounded != amount:
        raise PleoServerError(
            f"Pleo sent {raw} as an amount in {currency}; read as cents that is {amount} {currency}, which "
            f"{currency} cannot hold. The portal does not guess the unit; book this expense by hand."
        )
    return rounded


# §13 Q2 (sign convention): the examples carry positive values and let `type` say which way the money
# went. Amounts are therefore read as given (money_to_decimal never flips a sign) and the direction comes
# from `type`/`subType` only. "out" means money left the company (spend, or a debt to an employee or
# supplier); "in" means money came back (refunds, chargebacks, cashback) or into the wallet (top-ups).
# An unknown type raises rather than guessing a direction: a wrong direction books the amount twice over.
_DIRECTION_BY_TYPE: dict[str, Literal["out", "in"]] = {
    "card_purchase": "out", "card_invoice": "out", "out_of_pocket": "out", "mileage": "out",
    "per_diem": "out", "external_reimbursement": "out", "direct_reimbursement": "out", "invoice": "out",
    "invoice_payment": "out", "atm_withdrawal": "out", "wallet_unload": "out", "personal_spend": "out",
    "fee": "out",
    "chargeback": "in", "refund": "in", "cashback": "in", "wallet_topup": "in",
}
# A sub-type that reverses its type's direction (§6.3).
_REVERSING_SUB_TYPES = frozenset({
    "reimbursement_to_employee_refund", "reimbursement_to_company", "invoice_payment_returned",
})


def export_item_direction(item: dict) -> Literal["out", "in"]:
    """Which way an export item moved money, from its `type` and `subType` (never from a sign)."""
    item_type = item.get("type")
    if item_type not in _DIRECTION_BY_TYPE:
        raise PleoServerError(f"Pleo sent an expense of unknown type {item_type!r}; the portal will not book it.")
    direction = _DIRECTION_BY_TYPE[item_type]
    if optional_enum(item, "subType") in _REVERSING_SUB_TYPES:
        direction = "in" if direction == "out" else "out"
    return direction


def invoice_payment_invoice_number(item: dict) -> str | None:
    """The supplier's invoice number an `invoice_payment` pays, or None when Pleo gives none.

    Open question (as silent as §13, not listed there): which invoice does an invoice payment pay? The
    contract gives it the invoice's vendor and `additionalInformation.invoiceInformation` (invoice number,
    dates); `reconciledEntries` is documented for reimbursements only. The safest reading, and the rule the
    export follows: a payment pays the posted vendor bill of the same vendor with exactly this invoice number
    whose open amount is the payment's; when there is no such bill, or more than one, the payment is booked
    but matched to nothing, never to a bill it may not pay.
    """
    number = ((item.get("additionalInformation") or {}).get("invoiceInformation") or {}).get("invoiceNumber")
    return number.strip() if isinstance(number, str) and number.strip() else None


def optional_enum(record: dict, field: str) -> str | None:
    """§12.4: v3 declares `subType` (export items) and `failureReasonType` (jobs, job items) as plain
    non-nullable strings, yet the docs' examples send `null` and the subset's own examples leave them
    out. Accept both: `null`, a missing field and an empty string all read as None, so a record is never
    refused for a field Pleo itself does not always send."""
    value = record.get(field)
    return value or None


# §13 Q9 (file downloads): whether file URLs need authentication is not specified. They expire after
# 24 hours and carry signature parameters, i.e. they are pre-signed, and they may point at a storage host
# that is not the API's. The token must never travel to a host that is not the API's, so file URLs are
# fetched WITHOUT the Authorization header. If Pleo ever needs the token there, the download will fail
# loudly (401/403) instead of leaking the token.
FILE_DOWNLOAD_SENDS_TOKEN = False


# §13 Q6 (default order of lists is not specified) and §5.3 step 1 ("always take the oldest eligible
# job"): the client sorts jobs on `createdAt` itself instead of trusting the server's order.
def sort_jobs_oldest_first(jobs: list[dict]) -> list[dict]:
    """Jobs ordered by `createdAt`, oldest first; the id breaks ties so the order is stable."""

    def created(job: dict) -> datetime:
        try:
            return datetime.fromisoformat(job["createdAt"])
        except (KeyError, TypeError, ValueError):
            raise PleoServerError("Pleo sent an export job without a readable creation time.") from None

    return sorted(jobs, key=lambda job: (created(job), str(job.get("id", ""))))


# §5.3 step 1: after a crash the worker also asks for `in_progress` jobs and resumes them WITHOUT
# sending `started` again; re-sending it is not known to be safe (§13 Q5) and a completed job answers
# 422 to `started`. Poll with these statuses; `job_needs_started_event` tells which job still needs it.
RESUMABLE_JOB_STATUSES = ("pending", "in_progress")


def job_needs_started_event(job: dict) -> bool:
    """Only a `pending` job gets `started`; an `in_progress` job was started by an earlier run."""
    return job.get("status") == "pending"


# §12.1: the schema requires `jobId` in the event body; the docs' how-to examples send `exportJobId`.
# The schema is the contract Pleo validates against, so the client sends `jobId` only (sending both
# could be refused as an unknown property).
EVENT_JOB_ID_FIELD = "jobId"


def export_job_event_body(
    *, job_id: str, event: str, failure_reason: str | None = None, failure_reason_type: str | None = None
) -> dict:
    """The `CreateExportJobEvent` body. `failureReason`/`failureReasonType` go only with `failed`
    (§5.4), and `failed` needs a reason type so the bookkeeper sees why in Pleo."""
    if event not in JOB_EVENTS:
        raise ValueError(f"Unknown export job event {event!r}; expected one of {JOB_EVENTS}.")
    body = {EVENT_JOB_ID_FIELD: str(job_id), "event": event}
    if event == "failed":
        if failure_reason_type not in JOB_FAILURE_REASON_TYPES:
            raise ValueError(f"A failed event needs a failure reason type from {JOB_FAILURE_REASON_TYPES}.")
        body["failureReasonType"] = failure_reason_type
        if failure_reason:
            body["failureReason"] = failure_reason
    elif failure_reason or failure_reason_type:
        raise ValueError("A failure reason goes only with the 'failed' event.")
    return body
