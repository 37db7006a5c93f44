"""A client's booking settings: how its expenses are booked, each account and journal checked in its live Odoo."""
from django.core.exceptions import ValidationError
from django.db import transaction

from integrations.models import Client
from integrations.selectors import odoo_company_books_get
from integrations.services import model_update
from integrations.signals import client_schedules_changed
from integrations.odoo.chart import ACCOUNT_TYPE_LABELS, AccountType, JournalType
from mappings.choices import (
    EXPORT_ITEM_TYPES,
    VENDOR_BILL_ITEM_TYPES,
    BookingMode,
    KindMode,
    LockDatePolicy,
    TopUpHandling,
)
from mappings.models import ODOO_ACCOUNT_FIELDS, ODOO_JOURNAL_FIELDS, BookingSettings

__all__ = [
    "ACCOUNT_TYPES_ALLOWED",
    "JOURNAL_TYPES_ALLOWED",
    "BOOKING_SETTINGS_FIELDS",
    "booking_settings_validate",
    "booking_settings_update",
    "client_schedules_refresh",
]

# Which Odoo account types each setting takes, and the words used to ask for them.
ACCOUNT_TYPES_ALLOWED: dict[str, tuple[str, tuple[str, ...]]] = {
    # A Pleo Wallet is a balance held for the company: booked like a bank or a current asset (recording 28).
    "wallet_account": ("The Pleo Wallet account", (AccountType.CURRENT_ASSETS, AccountType.BANK_AND_CASH)),
    "out_of_pocket_account": ("The out-of-pocket account", (AccountType.CURRENT_LIABILITIES, AccountType.PAYABLE)),
    "reimbursement_contra_account": (
        "The contra account for reimbursements outside Pleo",
        (AccountType.BANK_AND_CASH, AccountType.CURRENT_ASSETS, AccountType.CURRENT_LIABILITIES),
    ),
    "payables_account": ("The payables account", (AccountType.PAYABLE,)),
    "topup_bank_account": ("The bank account top-ups come from",
                           (AccountType.BANK_AND_CASH, AccountType.CURRENT_ASSETS)),
}
JOURNAL_TYPES_ALLOWED: dict[str, tuple[str, str, str]] = {
    "card_journal": ("The card-expense journal", JournalType.MISCELLANEOUS, "Miscellaneous"),
    "bill_journal": ("The vendor-bill journal", JournalType.PURCHASE, "Purchase"),
}
BOOKING_SETTINGS_FIELDS = [
    "card_booking_mode", "card_post_state", "card_receipts",
    "out_of_pocket_booking_mode", "out_of_pocket_post_state", "out_of_pocket_receipts",
    "wallet_topups", "poll_interval_minutes", "kind_modes", "lock_date_policy",
]
_ID_FIELDS = [f"{name}_id" for name in (*ODOO_ACCOUNT_FIELDS, *ODOO_JOURNAL_FIELDS)]
_LABEL_FIELDS = [f"{name}_label" for name in (*ODOO_ACCOUNT_FIELDS, *ODOO_JOURNAL_FIELDS)]


def _type_words(types) -> str:
    return " or ".join(ACCOUNT_TYPE_LABELS.get(t, t) for t in types)


def booking_settings_update(*, client: Client, data: dict, by=None) -> BookingSettings:
    """Create or change a client's booking settings, every account and journal checked in its live Odoo.

    `data` holds `<field>_id` (an Odoo id, or None to clear it) for the accounts and journals, plus any of
    BOOKING_SETTINGS_FIELDS; keys left out keep their current value. Raises ValidationError keyed by
    field, with a message naming the type needed.
    """
    settings = BookingSettings.objects.filter(client=client).first() or BookingSettings(client=client)
    values = booking_settings_validate(client=client, data=data, current=settings)
    settings._history_user = by
    interval_before = settings.poll_interval_minutes if settings.pk else None
    with transaction.atomic():
        if settings.pk is None:
            for name, value in values.items():
                setattr(settings, name, value)
            settings.full_clean()
            settings.save()
        else:
            model_update(instance=settings, fields=[*_ID_FIELDS, *_LABEL_FIELDS, *BOOKING_SETTINGS_FIELDS], data=values)
    if settings.poll_interval_minutes != interval_before:
        client_schedules_refresh(client=client)
    return settings


def client_schedules_refresh(*, client: Client) -> None:
    """Bring the client's django-q2 schedules in step with its settings and status (exports receives it)."""
    client_schedules_changed.send(sender=BookingSettings, client=client)


def booking_settings_validate(*, client: Client, data: dict, current: BookingSettings | None = None) -> dict:
    """The complete settings `data` would give, labels included, or ValidationError keyed by field.

    Reads the chosen accounts and journals from the live Odoo company (never from the cached pick list).
    """
    if current is None:
        current = BookingSettings.objects.filter(client=client).first() or BookingSettings(client=client)
    values = {name: getattr(current, name) for name in (*_ID_FIELDS, *BOOKING_SETTINGS_FIELDS)}
    values.update({k: v for k, v in data.items() if k in values})
    for name in _ID_FIELDS:
        values[name] = int(values[name]) if values[name] not in (None, "") else None
    errors: dict[str, str] = {}
    values["kind_modes"] = _kind_modes_clean(values.get("kind_modes"), errors)
    if values.get("lock_date_policy") not in LockDatePolicy.values:
        errors["lock_date_policy"] = (
            f"“{values.get('lock_date_policy')}” is not a lock-date policy; choose one of: "
            + ", ".join(LockDatePolicy.values) + "."
        )
    _required_for_modes(values, errors)
    labels = _odoo_ids_check(client, values, errors)
    if errors:
        raise ValidationError(errors)
    return {**values, **labels}


def _kind_modes_clean(kind_modes, errors: dict) -> dict:
    """{item type: KindMode} with blanks dropped (a blank means "the default"), or an error per bad entry."""
    if kind_modes in (None, ""):
        return {}
    if not isinstance(kind_modes, dict):
        errors["kind_modes"] = "Booking per expense type must map each Pleo expense type to a booking mode."
        return kind_modes
    cleaned, problems = {}, []
    for item_type, mode in kind_modes.items():
        if mode in (None, ""):
            continue
        if item_type not in EXPORT_ITEM_TYPES:
            problems.append(f"“{item_type}” is not a Pleo expense type (known types: {', '.join(EXPORT_ITEM_TYPES)}).")
        elif mode not in KindMode.values:
            problems.append(f"{item_type}: “{mode}” is not a booking mode; choose one of: "
                            f"{', '.join(KindMode.values)}.")
        elif mode == KindMode.VENDOR_BILL and item_type not in VENDOR_BILL_ITEM_TYPES:
            problems.append(
                f"{item_type} cannot be booked as a vendor bill: only purchases have a supplier to bill "
                f"({', '.join(VENDOR_BILL_ITEM_TYPES)})."
            )
        else:
            cleaned[item_type] = mode
    if problems:
        errors["kind_modes"] = " ".join(problems)
    return cleaned


def _required_for_modes(values: dict, errors: dict) -> None:
    """What the chosen booking modes cannot do without."""
    modes = {values["card_booking_mode"], values["out_of_pocket_booking_mode"]}
    if isinstance(values.get("kind_modes"), dict):
        modes |= set(values["kind_modes"].values())
        if KindMode.FOLLOW_PLEO in modes:
            modes.add(KindMode.VENDOR_BILL)  # Pleo may say "accounts_payable" for any of them
    needed = {"wallet_account_id": "Choose the Pleo Wallet account: every card expense is paid from it."}
    if values["card_booking_mode"] == BookingMode.JOURNAL_ENTRY:
        needed["card_journal_id"] = "Card expenses booked as journal entries need the card-expense journal."
    if values["out_of_pocket_booking_mode"] == BookingMode.JOURNAL_ENTRY:
        needed["out_of_pocket_account_id"] = (
            "Out-of-pocket expenses booked as journal entries need the out-of-pocket account."
        )
    if BookingMode.VENDOR_BILL in modes:
        needed["bill_journal_id"] = "Expenses booked as vendor bills need the vendor-bill journal."
        needed["payables_account_id"] = "Expenses booked as vendor bills need the payables account."
    if values["wallet_topups"] == TopUpHandling.BOOK:
        needed["topup_bank_account_id"] = "Booking Pleo Wallet top-ups needs the bank account they come from."
    for name, message in needed.items():
        if values[name] is None:
            errors[name] = message


def _odoo_ids_check(client: Client, values: dict, errors: dict) -> dict:
    """Check each chosen account and journal in the client's live Odoo company; return their labels."""
    labels = {f"{name}_label": "" for name in (*ODOO_ACCOUNT_FIELDS, *ODOO_JOURNAL_FIELDS)}
    account_ids = {values[f"{n}_id"] for n in ODOO_ACCOUNT_FIELDS if values[f"{n}_id"] is not None}
    journal_ids = {values[f"{n}_id"] for n in ODOO_JOURNAL_FIELDS if values[f"{n}_id"] is not None}
    if not account_ids and not journal_ids:
        return labels
    connection, books = odoo_company_books_get(client=client)
    company = connection.company_name or f"company {connection.company_id}"
    accounts = books.accounts_read(account_ids)
    journals = books.journals_read(journal_ids)
    for name, (what, types) in ACCOUNT_TYPES_ALLOWED.items():
        account_id = values[f"{name}_id"]
        if account_id is None:
            continue
        row = accounts.get(account_id)
        if row is None or not row["in_company"]:
            errors[f"{name}_id"] = (f"{what}: Odoo {company} has no account with id {account_id}. Refresh the list "
                                    "and choose again.")
            continue
        label = f"{row['code']} {row['name']}"
        if row["retired"]:
            errors[f"{name}_id"] = f"{what}: “{label}” is {row['retired']} in Odoo. Choose an account in use."
        elif row["type"] not in types:
            found = ACCOUNT_TYPE_LABELS.get(row["type"], row["type"])
            errors[f"{name}_id"] = f"{what} must be of type {_type_words(types)}; “{label}” is of type {found}."
        labels[f"{name}_label"] = label
    for name, (what, journal_type, type_words) in JOURNAL_TYPES_ALLOWED.items():
        journal_id = values[f"{name}_id"]
        if journal_id is None:
            continue
        row = journals.get(journal_id)
        if row is None or not row["in_company"] or row.get("active") is False:
            errors[f"{name}_id"] = (f"{what}: Odoo {company} has no active journal with id {journal_id}. Refresh the "
                                    "list and choose again.")
            continue
        label = f"{row['code']} {row['name']}"
        if row["type"] != journal_type:
            errors[f"{name}_id"] = (f"{what} must be a {type_words} journal (type {journal_type}); “{label}” is of "
                                    f"type {row['type']}.")
        labels[f"{name}_label"] = label
    return labels
