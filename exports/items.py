"""Pleo's export items as the booking reads them: their shape checked, their text cleaned, their facts kept.

Money is read as Decimals rounded to the currency (integrations.pleo.contract), never as floats.
"""
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from integrations.errors import PortalError
from integrations.pleo.contract import ITEM_FAILURE_REASON_TYPES, currency_decimals, money_to_decimal
from integrations.pleo.errors import PleoServerError


# Text Pleo's users typed goes to Odoo cleaned: PostgreSQL (Odoo's and ours) refuses NUL, and other control
# characters (escape codes, carriage returns) garble Odoo's lists. Odoo's char fields have no size limit, but a
# label of thousands of characters makes the journal unreadable, so labels are cut; the export record keeps
# Pleo's text whole in its pleo_payload.
_CONTROL_CHARACTERS = re.compile(r"(?:\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f\x7f-\x9f])+")  # terminal colour codes too


LABEL_MAX = 256  # a journal item's label
NAME_MAX = 128  # a contact's name, a payment reference
NARRATION_MAX = 4000  # the move's internal note
REASON_MAX = 1000  # what Pleo keeps of a failure reason (pleo-api §5.3 step 7)
# The contract's `date` has no range and Odoo takes any year, but an expense dated before Pleo existed or
# generations ahead is a typing or system error: booked, it would sit in a period nobody looks at (or be moved
# to the first open day by the lock-date policy, hiding the error). Such items are refused with the date named.
BOOKABLE_YEARS = range(2000, 2100)


# Amounts travel to Odoo as JSON numbers (doubles), which carry 15 significant digits exactly; an amount with
# more digits in the currency's smallest unit would be booked rounded, and no real expense is that large.
_MAX_MINOR_UNITS = 10**15


# Where the contract has an object or a list, a payload with anything else is refused naming the field, instead
# of failing on it somewhere in the middle of the booking.
_OBJECT_FIELDS = ("amount", "supplier", "vendor", "user", "team", "additionalInformation", "bookkeeping", "_links")


_TEXT_FIELDS = {"": ("accountingEntryId", "type", "subType", "date", "note"),
                "supplier": ("name", "taxIdentifier", "country", "code"),
                "vendor": ("name", "taxRegistrationNumber", "country", "code"),
                "user": ("name", "code")}
_LINE_OBJECT_FIELDS = ("lineAmount", "netAmount", "tax", "account")
# NUL cannot be stored in PostgreSQL text or jsonb; the kept payload shows it as the symbol for NUL.
_NUL_SYMBOL = "\u2400"


class BookingRefused(PortalError):
    """The item cannot be booked as it stands. `str(exc)` names the missing piece in the bookkeeper's words;
    `failure_reason_type` is the ExportJobItemFailureReasonType Pleo shows (pleo-api README §5.4).

    `fix` names what is missing where the portal or Odoo lacks a mapping or setting, for the export record's
    failure detail and its link (mappings.fixes): {"fix": "tax_code", "code_id": ..., "code": "I0", "rate": "0"},
    {"fix": "category", "account_id": ..., "name": ...}, {"fix": "tag", "tag_id": ..., "name": ...},
    {"fix": "setting", "setting": "<BookingSettings field>"}, {"fix": "odoo_currency", "currency": "GBP"}.
    Empty when Pleo's own data is at fault: that is corrected in Pleo."""

    def __init__(self, message: str, failure_reason_type: str, extra: dict | None = None, *,
                 fix: dict | None = None):
        if failure_reason_type not in ITEM_FAILURE_REASON_TYPES:
            raise ValueError(f"{failure_reason_type!r} is not a Pleo item failure reason type.")
        # Reasons quote Pleo's text (category and tag names): cleaned, so a NUL cannot reach PostgreSQL.
        super().__init__(clean_text(message, REASON_MAX), extra)
        self.failure_reason_type = failure_reason_type
        self.fix = _storable(fix or {})


def clean_text(value, limit: int) -> str:
    """`value` as one line of text without control characters, at most `limit` characters (cut with "…")."""
    text = " ".join(_CONTROL_CHARACTERS.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _kind_of(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else "something else"


def _wrong_type(field: str, value, expected: str) -> BookingRefused:
    return BookingRefused(f"Pleo sent the field “{field}” as {_kind_of(value)} where the contract has {expected}; "
                          "the expense was not booked.", "validation_failure")


def shape_check(item) -> None:
    """Refuse, naming the field, a payload whose objects, lists and texts are not of the contract's types."""
    if not isinstance(item, dict):
        raise BookingRefused("Pleo sent this export item as something other than an object; it was not booked.",
                             "validation_failure")
    for name in _OBJECT_FIELDS:
        if item.get(name) is not None and not isinstance(item[name], dict):
            raise _wrong_type(name, item[name], "an object")
    for parent, names in _TEXT_FIELDS.items():
        record = (item.get(parent) or {}) if parent else item
        for name in names:
            if record.get(name) is not None and not isinstance(record[name], str):
                raise _wrong_type(f"{parent}.{name}" if parent else name, record[name], "text")
    for name in ("accountingEntryLines", "files"):
        if item.get(name) is not None and not isinstance(item[name], list):
            raise _wrong_type(name, item[name], "a list")
    for n, file in enumerate(item.get("files") or []):
        if file is None:
            continue  # the contract's file entries are nullable
        if not isinstance(file, dict) or not isinstance(file.get("url"), str):
            raise _wrong_type(f"files[{n}]", file, "an object with a url")
        if file.get("type") is not None and not isinstance(file["type"], str):
            raise _wrong_type(f"files[{n}].type", file["type"], "text")
        if file.get("size") is not None and (isinstance(file["size"], bool) or not isinstance(file["size"], int)):
            raise _wrong_type(f"files[{n}].size", file["size"], "a whole number")
    for n, line in enumerate(item.get("accountingEntryLines") or []):
        if not isinstance(line, dict):
            raise _wrong_type(f"accountingEntryLines[{n}]", line, "an object")
        for name in _LINE_OBJECT_FIELDS:
            if line.get(name) is not None and not isinstance(line[name], dict):
                raise _wrong_type(f"accountingEntryLines[{n}].{name}", line[name], "an object")
        if line.get("tags") is not None and not (isinstance(line["tags"], list)
                                                 and all(isinstance(tag, dict) for tag in line["tags"])):
            raise _wrong_type(f"accountingEntryLines[{n}].tags", line["tags"], "a list of tags")
    info = item.get("additionalInformation") or {}
    if info.get("invoiceInformation") is not None and not isinstance(info["invoiceInformation"], dict):
        raise _wrong_type("additionalInformation.invoiceInformation", info["invoiceInformation"], "an object")
    for name in ("attendees", "reconciledEntries"):
        if info.get(name) is not None and not isinstance(info[name], list):
            raise _wrong_type(f"additionalInformation.{name}", info[name], "a list")


def export_items_for_entries(items: list, entry_ids: list[str]) -> list[dict]:
    """The export item of each open entry of a job, in the job's order.

    An entry Pleo sent no readable item for (none at all, or one without its accountingEntryId) gets a bare
    `{"accountingEntryId": id}`, which `booking_plan` refuses with a reason, so the entry is reported to Pleo as
    failed instead of staying in the job. Items of other entries, and second copies, are left out."""
    by_id = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("accountingEntryId"), str):
            by_id.setdefault(item["accountingEntryId"], item)
    return [by_id.get(entry_id) or {"accountingEntryId": entry_id} for entry_id in entry_ids]


def _storable(value):
    """`value` with every NUL (in keys and texts) replaced by the symbol for NUL, for a JSON field."""
    if isinstance(value, str):
        return value.replace("\x00", _NUL_SYMBOL)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _fact_amount(money) -> Decimal | None:
    try:
        amount = money_to_decimal(money) if isinstance(money, dict) else None
    except PleoServerError:
        return None
    # The record's column holds 18 digits with 3 decimals; an amount that does not fit is left blank.
    return amount if amount is not None and abs(amount) < 10**15 else None


def item_record_facts(item: dict) -> dict:
    """What the export record shows of an item, and the payload it keeps.

    Read leniently, because every item gets its record, also one `booking_plan` refuses: a fact that does not
    fit its column is left blank or cleaned, and nothing here raises."""
    shaped = isinstance(item, dict)
    original, item = item, item if shaped else {}

    def obj(value) -> dict:
        return value if isinstance(value, dict) else {}

    amount = obj(obj(item.get("amount")).get("inWalletCurrency"))
    vat = Decimal(0)
    for line in item.get("accountingEntryLines") if isinstance(item.get("accountingEntryLines"), list) else []:
        vat += _fact_amount(obj(obj(obj(line).get("tax")).get("amount")).get("inWalletCurrency")) or 0
    supplier = obj(item.get("supplier")).get("name") or obj(item.get("vendor")).get("name") or ""
    currency = amount.get("currency")
    return {
        "kind": clean_text(item.get("type") or "", 40),
        "entry_date": item_booking_date(item),
        "supplier": clean_text(supplier, 300),
        "spender": clean_text(obj(item.get("user")).get("name") or "", 300),
        "description": clean_text(item.get("note") or "", 10_000),
        "amount": _fact_amount(amount),
        "currency": currency if isinstance(currency, str) and len(currency) == 3 else "",
        "vat_amount": vat if abs(vat) < 10**15 else None,
        "pleo_payload": _storable(item) if shaped else {"unreadable": clean_text(original, 1000)},
    }


def item_booking_date(item: dict) -> date | None:
    """The move date: the calendar date of `date` as Pleo wrote it, without converting time zones.

    §13 Q4: `date` is a date-time, "the date when the export item was book kept"; Pleo writes calendar dates
    as midnight UTC ("2025-03-04T00:00:00Z"). Converting to the company's time zone would move every
    expense of a client west of UTC to the day before, so the date part as written is the safest reading.
    None when Pleo sent no readable date."""
    raw = item.get("date")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw).date()
    except ValueError:
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            return None


def bookable_date(raw, what: str, field: str) -> date | None:
    """A date of the item (None when missing or unreadable), refused when outside BOOKABLE_YEARS."""
    found = item_booking_date({"date": raw})
    if found is not None and found.year not in BOOKABLE_YEARS:
        raise BookingRefused(
            f"Pleo dates {what} {found.isoformat()} (field “{field}”); the portal books dates from "
            f"{BOOKABLE_YEARS.start} to {BOOKABLE_YEARS.stop - 1} only and takes this one for a mistake. Correct "
            "the date in Pleo and export again.", "validation_failure")
    return found


def item_reference(item: dict) -> str:
    """Odoo `ref` of the item's record: Pleo's reconciliation id (the docs map it to the reference) and the
    accounting entry id (unique per entry), e.g. "PLEO-1000042-6f0e…". Only these two stable ids go in, so
    the same entry always gets the same reference and the pipeline can find what an earlier run booked."""
    reconciliation_id = clean_text((item.get("additionalInformation") or {}).get("reconciliationId") or "", 64)
    entry_id = str(item.get("accountingEntryId") or "")
    return f"PLEO-{reconciliation_id}-{entry_id}" if reconciliation_id else f"PLEO-{entry_id}"


def currency_round(amount: Decimal, currency: str) -> Decimal:
    # Odoo rounds tax half-up to the currency's rounding (float_round, per line: recording 80).
    return amount.quantize(Decimal(1).scaleb(-currency_decimals(currency)), rounding=ROUND_HALF_UP)


def money_read(money: dict | None, what: str, field: str) -> tuple[Decimal, str]:
    """A MoneyModel as (amount, currency); refused, naming Pleo's field, when it is missing or absurd."""
    if not isinstance(money, dict):
        raise BookingRefused(f"Pleo sent no {what} (field “{field}”); the expense cannot be booked.",
                             "validation_failure")
    try:
        amount = money_to_decimal(money)
    except PleoServerError as exc:
        raise BookingRefused(f"{exc} (field “{field}”)", "validation_failure") from None
    currency = money["currency"]
    if abs(amount).scaleb(currency_decimals(currency)) >= _MAX_MINOR_UNITS:
        raise BookingRefused(f"Pleo sent {amount} {currency} as the {what} (field “{field}”): more than Odoo can "
                             "store to the cent, so it is taken for an error and not booked.", "validation_failure")
    return amount, currency
