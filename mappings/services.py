"""Booking settings, tag group pairs, and the two syncs that push Odoo taxes and analytic accounts to Pleo.

The syncs are written to be run again at any moment (a schedule, a second worker, "Sync now" twice):
every Pleo object they made is found again by its mapping or by its code, so nothing is created twice.
They do not wrap their work in one database transaction: each Pleo write is followed at once by the
mapping row that records it, so a failure half-way leaves every mapping matching what Pleo holds, and
the next run carries on from there.

Tax codes: how an Odoo purchase tax becomes a Pleo tax code (pleo-api README §6.2, §8)
- Only `amount_type == "percent"` taxes: Pleo has a rate and nothing else, so fixed, group and
  division taxes are skipped with the reason recorded on the mapping and the run.
- rate = Odoo `amount` / 100 as Decimal (21.0 -> 0.21).
- type: a card or out-of-pocket amount in Pleo is always what was paid, tax included, whatever Odoo's
  `price_include` says about how Odoo computes from a unit price; Pleo calls that "inclusive". A tax
  with a negative tax repartition line is an EU reverse charge and becomes "reverse", with the accounts
  of its +100 % and -100 % lines as ingoing and outgoing tax accounts. "exclusive" is never sent:
  Pleo's spec says exclusive tax codes are not supported.
- code = "odoo-tax-<id>": stable across renames, and how a lost mapping is found again.
"""
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from integrations.errors import PortalError
from integrations.models import Client
from integrations.services import model_update
from django_q.tasks import async_task

from mappings.choices import (
    EXPORT_ITEM_TYPES,
    ODOO_ACCOUNT_TYPE_LABELS,
    VENDOR_BILL_ITEM_TYPES,
    BookingMode,
    KindMode,
    LockDatePolicy,
    PleoTaxType,
    SyncKind,
    SyncRunStatus,
    TopUpHandling,
)
from mappings.models import (
    ODOO_ACCOUNT_FIELDS,
    ODOO_JOURNAL_FIELDS,
    AnalyticTagMapping,
    BookingSettings,
    CategoryMapping,
    SyncRun,
    TagGroupPair,
    TaxMapping,
)
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from mappings.selectors import odoo_purchase_taxes_for

__all__ = [
    "ACCOUNT_TYPES_ALLOWED",
    "JOURNAL_TYPES_ALLOWED",
    "BOOKING_SETTINGS_FIELDS",
    "booking_settings_validate",
    "booking_settings_update",
    "tag_group_pair_add",
    "tag_group_pair_delete",
    "tax_mapping_sync",
    "tag_sync",
    "pleo_tax_code_wanted",
    "analytic_tag_code",
    "client_schedules_refresh",
    "category_mappings_refresh",
    "category_mapping_bulk_update",
    "CopyResult",
    "category_mappings_copy",
    "ProposedRecord",
    "CreatedRecord",
    "setup_proposal",
    "setup_apply",
]

logger = logging.getLogger(__name__)

# Which Odoo account types each setting takes, and the words used to ask for them.
ACCOUNT_TYPES_ALLOWED: dict[str, tuple[str, tuple[str, ...]]] = {
    # A Pleo Wallet is a balance held for the company: booked like a bank or a current asset (recording 28).
    "wallet_account": ("The Pleo Wallet account", ("asset_current", "asset_cash")),
    "out_of_pocket_account": ("The out-of-pocket account", ("liability_current", "liability_payable")),
    "reimbursement_contra_account": (
        "The contra account for reimbursements outside Pleo", ("asset_cash", "asset_current", "liability_current"),
    ),
    "payables_account": ("The payables account", ("liability_payable",)),
    "topup_bank_account": ("The bank account top-ups come from", ("asset_cash", "asset_current")),
}
JOURNAL_TYPES_ALLOWED: dict[str, tuple[str, str, str]] = {
    "card_journal": ("The card-expense journal", "general", "Miscellaneous"),
    "bill_journal": ("The vendor-bill journal", "purchase", "Purchase"),
}
BOOKING_SETTINGS_FIELDS = [
    "card_booking_mode", "card_post_state", "card_receipts",
    "out_of_pocket_booking_mode", "out_of_pocket_post_state", "out_of_pocket_receipts",
    "wallet_topups", "poll_interval_minutes", "kind_modes", "lock_date_policy",
]
_ID_FIELDS = [f"{name}_id" for name in (*ODOO_ACCOUNT_FIELDS, *ODOO_JOURNAL_FIELDS)]
_LABEL_FIELDS = [f"{name}_label" for name in (*ODOO_ACCOUNT_FIELDS, *ODOO_JOURNAL_FIELDS)]


def _type_words(types) -> str:
    return " or ".join(ODOO_ACCOUNT_TYPE_LABELS.get(t, t) for t in types)


def _active_client_required(client: Client) -> None:
    if not client.is_active:
        raise PortalError(f"{client} is paused: its syncs and exports do not run until it is resumed.")


# Booking settings ---------------------------------------------------------------------------------

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
    """Bring the client's django-q2 schedules in step with its settings and status.

    The schedules live in the exports app, above this one (apps depend downward only), so the work is
    queued by dotted name instead of imported. With Q_CLUSTER sync on (tests) it runs inline.
    """
    async_task("exports.schedules.client_schedules_ensure_task", client.pk)


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
            problems.append(f"{item_type}: “{mode}” is not a booking mode; choose one of: {', '.join(KindMode.values)}.")
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
            errors[f"{name}_id"] = f"{what}: Odoo {company} has no account with id {account_id}. Refresh the list and choose again."
            continue
        label = f"{row['code']} {row['name']}"
        if row["retired"]:
            errors[f"{name}_id"] = f"{what}: “{label}” is {row['retired']} in Odoo. Choose an account in use."
        elif row["account_type"] not in types:
            found = ODOO_ACCOUNT_TYPE_LABELS.get(row["account_type"], row["account_type"])
            errors[f"{name}_id"] = f"{what} must be of type {_type_words(types)}; “{label}” is of type {found}."
        labels[f"{name}_label"] = label
    for name, (what, journal_type, type_words) in JOURNAL_TYPES_ALLOWED.items():
        journal_id = values[f"{name}_id"]
        if journal_id is None:
            continue
        row = journals.get(journal_id)
        if row is None or not row["in_company"] or row.get("active") is False:
            errors[f"{name}_id"] = f"{what}: Odoo {company} has no active journal with id {journal_id}. Refresh the list and choose again."
            continue
        label = f"{row['code']} {row['name']}"
        if row["type"] != journal_type:
            errors[f"{name}_id"] = f"{what} must be a {type_words} journal (type {journal_type}); “{label}” is of type {row['type']}."
        labels[f"{name}_label"] = label
    return labels


# Sync runs ----------------------------------------------------------------------------------------

@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    archived: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


def _triggered_by(by, triggered_by: str) -> str:
    if triggered_by:
        return triggered_by
    return f"{by.get_username()}" if by is not None else "schedule"


def _sync_run(client: Client, kind: str, by, triggered_by: str, work) -> SyncRun:
    """Record one run around `work(counts)`, NetBox JobRunner style.

    An Odoo or Pleo failure (PortalError) marks the run failed with its sentence and returns it: the
    next scheduled run retries. Anything else is a bug: the run is marked failed, then it is re-raised.
    """
    _active_client_required(client)
    run = SyncRun.objects.create(
        client=client, kind=kind, started_at=timezone.now(), triggered_by=_triggered_by(by, triggered_by)[:200]
    )
    counts = _Counts()
    try:
        work(counts)
    except PortalError as exc:
        _sync_run_finish(run, counts, SyncRunStatus.FAILED, str(exc))
        logger.warning("mappings: %s sync of client %s failed: %r", kind, client.pk, exc)
        return run
    except Exception as exc:
        _sync_run_finish(run, counts, SyncRunStatus.FAILED, f"Unexpected error ({type(exc).__name__}); see the logs.")
        raise
    _sync_run_finish(run, counts, SyncRunStatus.SUCCEEDED, "")
    return run


def _sync_run_finish(run: SyncRun, counts: _Counts, status: str, error: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.created_count, run.updated_count = counts.created, counts.updated
    run.archived_count, run.skipped_count = counts.archived, counts.skipped
    run.notes = "\n".join(counts.notes)
    run.errors = error
    run.save()


def _mapping_store(model, lookup: dict, values: dict, by) -> object:
    """Create or change one mapping row; saves (and writes history) only when something changed."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(**lookup).first()
        if row is None:
            row = model(**lookup, **values)
            row._history_user = by
            row.full_clean()
            row.save()
            return row
        row._history_user = by
        model_update(instance=row, fields=list(values), data=values)
        return row


# Taxes --------------------------------------------------------------------------------------------

def tax_mapping_sync(*, client: Client, by=None, triggered_by: str = "") -> SyncRun:
    """Push the active purchase taxes of the client's Odoo company to Pleo as tax codes (module docstring)."""
    return _sync_run(client, SyncKind.TAX, by, triggered_by, lambda counts: _tax_sync(client, by, counts))


def pleo_tax_code_wanted(tax: dict, repartition: dict, account_codes: dict) -> dict | str:
    """The Pleo tax code an Odoo tax should be, or the reason Pleo cannot express it."""
    if tax["amount_type"] != "percent":
        return (f"Odoo amount type “{tax['amount_type']}”: Pleo tax codes are a percentage only, "
                "so this tax is not offered in Pleo.")
    lines = [repartition[i] for i in tax.get("invoice_repartition_line_ids") or [] if i in repartition]
    tax_lines = [line for line in lines if line.get("repartition_type") == "tax"]
    reverse = any((line.get("factor_percent") or 0) < 0 for line in tax_lines)
    ingoing = outgoing = None
    if reverse:
        for line in tax_lines:
            account = line.get("account_id")
            code = account_codes.get(account[0]) if isinstance(account, list) else None
            if (line.get("factor_percent") or 0) > 0:
                ingoing = ingoing or code
            else:
                outgoing = outgoing or code
    name = tax["name"]
    description = strip_tags(tax.get("description") or "").strip()
    if description and description != name:
        name = f"{name} – {description}"
    rate = (Decimal(str(tax["amount"])) / 100).quantize(Decimal("0.000001")).normalize()
    return {
        "code": f"odoo-tax-{tax['id']}",
        "name": name[:255],
        "rate": rate,
        "type": PleoTaxType.REVERSE if reverse else PleoTaxType.INCLUSIVE,
        "ingoing_tax_account": ingoing,
        "outgoing_tax_account": outgoing,
    }


def _pleo_tax_differs(current: dict, wanted: dict, archived: bool) -> bool:
    return (
        current.get("code") != wanted["code"]
        or current.get("name") != wanted["name"]
        or Decimal(str(current.get("rate"))) != wanted["rate"]
        or current.get("type") != wanted["type"]
        or bool(current.get("archived")) != archived
        or current.get("ingoingTaxAccount") != wanted["ingoing_tax_account"]
        or current.get("outgoingTaxAccount") != wanted["outgoing_tax_account"]
    )


def _tax_sync(client: Client, by, counts: _Counts) -> None:
    _, books = odoo_company_books_get(client=client)
    pleo_connection, pleo = pleo_company_client_get(client=client)
    company_id = pleo_connection.company_id
    taxes = books.purchase_taxes(with_repartition=True)
    repartition = {line["id"]: line for tax in taxes for line in tax["repartition"]}
    account_codes = {line["account_id"][0]: line["account_code"] for line in repartition.values()
                     if isinstance(line.get("account_id"), list)}

    pleo_codes = pleo.tax_codes(company_id=company_id)
    by_id = {c["id"]: c for c in pleo_codes}
    by_code = {c["code"]: c for c in pleo_codes if c.get("code")}
    mappings = {m.odoo_tax_id: m for m in TaxMapping.objects.filter(client=client)}

    creates, updates, archives = [], [], []
    seen = set()
    for tax in taxes:
        seen.add(tax["id"])
        wanted = pleo_tax_code_wanted(tax, repartition, account_codes)
        mapping = mappings.get(tax["id"])
        current = by_id.get(mapping.pleo_tax_code_id) if mapping and mapping.pleo_tax_code_id else None
        odoo_values = {
            "odoo_tax_name": tax["name"][:300],
            "odoo_tax_rate": Decimal(str(tax["amount"])).quantize(Decimal("0.0001")),
            "odoo_amount_type": tax["amount_type"],
        }
        if isinstance(wanted, str):
            counts.skipped += 1
            counts.notes.append(f"{tax['name']}: {wanted}")
            if current is not None and not current.get("archived"):
                archives.append((tax["id"], current, {**odoo_values, "skip_reason": wanted}))
            else:
                # Never in Pleo, or its code there is archived already: the mapping only records why.
                archived = {"archived": True} if mapping and mapping.pleo_tax_code_id else {}
                _mapping_store(TaxMapping, {"client": client, "odoo_tax_id": tax["id"]},
                               {**odoo_values, "skip_reason": wanted, **archived}, by)
            continue
        current = current or by_code.get(wanted["code"])
        if current is None:
            creates.append((tax["id"], wanted, odoo_values))
        elif _pleo_tax_differs(current, wanted, archived=False):
            updates.append((tax["id"], current, wanted, odoo_values))
        else:
            # Pleo already holds it: only make sure the mapping says so (also after a lost answer).
            _tax_mapping_record(client, tax["id"], current, wanted, odoo_values, by, pushed=False)
    for odoo_tax_id, mapping in mappings.items():
        if odoo_tax_id in seen or not mapping.pleo_tax_code_id or mapping.archived:
            continue
        current = by_id.get(mapping.pleo_tax_code_id)
        if current is None or current.get("archived"):
            # Gone from Pleo or archived there already: only the mapping needs to say so.
            _mapping_store(TaxMapping, {"client": client, "odoo_tax_id": odoo_tax_id}, {"archived": True}, by)
            continue
        archives.append((odoo_tax_id, current, {"skip_reason": "Removed or archived in Odoo."}))

    for odoo_tax_id, wanted, odoo_values in creates:
        created = pleo.tax_code_create(company_id=company_id, **wanted)
        counts.created += 1
        _tax_mapping_record(client, odoo_tax_id, created, wanted, odoo_values, by, pushed=True)
    for odoo_tax_id, current, wanted, odoo_values in updates:
        updated = pleo.tax_code_update(current["id"], company_id=company_id, archived=False, **wanted)
        counts.updated += 1
        _tax_mapping_record(client, odoo_tax_id, updated, wanted, odoo_values, by, pushed=True)
    for odoo_tax_id, current, extra in archives:
        pleo.tax_code_update(
            current["id"], company_id=company_id, name=current["name"], rate=Decimal(str(current["rate"])),
            type=current["type"], archived=True, code=current.get("code"),
            ingoing_tax_account=current.get("ingoingTaxAccount"), outgoing_tax_account=current.get("outgoingTaxAccount"),
        )
        counts.archived += 1
        _mapping_store(TaxMapping, {"client": client, "odoo_tax_id": odoo_tax_id},
                       {**extra, "archived": True, "last_synced_at": timezone.now()}, by)


def _tax_mapping_record(client, odoo_tax_id, pleo_code: dict, wanted: dict, odoo_values: dict, by, *, pushed: bool):
    values = {
        **odoo_values,
        "pleo_tax_code_id": str(pleo_code["id"]),
        "pleo_tax_code": wanted["code"],
        "pleo_rate": wanted["rate"],
        "pleo_type": wanted["type"],
        "archived": False,
        "skip_reason": "",
    }
    if pushed:
        values["last_synced_at"] = timezone.now()
    _mapping_store(TaxMapping, {"client": client, "odoo_tax_id": odoo_tax_id}, values, by)


# Tag groups and tags ------------------------------------------------------------------------------

def tag_group_pair_add(
    *, client: Client, plan_id: int, tag_group_id: str | None = None, create_group: bool = False, by=None
) -> TagGroupPair:
    """Pair an Odoo analytic plan with an existing Pleo tag group, or with a new one made from the plan."""
    if bool(tag_group_id) == bool(create_group):
        raise ValidationError("Choose an existing Pleo tag group, or ask for a new one to be created (one of the two).")
    _pair_rules_check(client, plan_id, tag_group_id)
    _, books = odoo_company_books_get(client=client)
    plans = books.analytic_plans([int(plan_id)])
    if not plans:
        raise ValidationError(f"Odoo has no analytic plan with id {plan_id}. Refresh the list and choose again.")
    plan_name = plans[int(plan_id)]
    pleo_connection, pleo = pleo_company_client_get(client=client)
    groups = pleo.tag_groups(company_id=pleo_connection.company_id, include_archived=True)
    if tag_group_id:
        group = next((g for g in groups if g["id"] == tag_group_id and not g.get("archived")), None)
        if group is None:
            raise ValidationError("That Pleo tag group does not exist or is archived. Refresh the list and choose again.")
    else:
        code = f"odoo-plan-{int(plan_id)}"
        # A group made for this plan before (an earlier attempt whose answer was lost) is used again.
        group = next((g for g in groups if g.get("code") == code), None)
        if group is not None and group.get("archived"):
            group = pleo.tag_group_update(group["id"], code=code, name=plan_name, archived=False,
                                          metadata=group.get("metadata") or {})
        elif group is None:
            group = pleo.tag_group_create(company_id=pleo_connection.company_id, code=code, name=plan_name,
                                          metadata={"odooPlanId": str(int(plan_id))})
        _pair_rules_check(client, plan_id, group["id"])
    with transaction.atomic():
        # One pair at a time per client, so two bookkeepers cannot both add the fifth.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        _pair_rules_check(client, plan_id, group["id"])
        pair = TagGroupPair(
            client=client, odoo_plan_id=int(plan_id), odoo_plan_name=plan_name[:300],
            pleo_tag_group_id=str(group["id"]), pleo_tag_group_code=group["code"], pleo_tag_group_name=group["name"],
        )
        pair._history_user = by
        pair.full_clean()
        pair.save()
    return pair


def _pair_rules_check(client: Client, plan_id, tag_group_id) -> None:
    pairs = TagGroupPair.objects.filter(client=client)
    if pairs.count() >= TagGroupPair.MAX_PER_CLIENT:
        raise ValidationError(
            f"{client} already pairs {TagGroupPair.MAX_PER_CLIENT} analytic plans with Pleo tag groups, the most "
            "there can be (Pleo puts at most five tags on an expense). Remove a pair first."
        )
    same_plan = pairs.filter(odoo_plan_id=int(plan_id)).first()
    if same_plan is not None:
        raise ValidationError(
            f"The Odoo analytic plan “{same_plan.odoo_plan_name}” is already paired with the Pleo tag group "
            f"“{same_plan.pleo_tag_group_name}”."
        )
    if tag_group_id:
        same_group = pairs.filter(pleo_tag_group_id=str(tag_group_id)).first()
        if same_group is not None:
            raise ValidationError(
                f"The Pleo tag group “{same_group.pleo_tag_group_name}” is already paired with the Odoo analytic "
                f"plan “{same_group.odoo_plan_name}”; a tag group takes the tags of one plan only."
            )


@transaction.atomic
def tag_group_pair_delete(*, pair: TagGroupPair, by=None) -> None:
    """Unpair: the tags stay in Pleo (expenses may carry them); the portal stops syncing them."""
    pair._history_user = by
    pair.delete()


def tag_sync(*, client: Client, by=None, triggered_by: str = "") -> SyncRun:
    """Push each paired plan's analytic accounts to its Pleo tag group: create, rename, archive, never twice."""
    return _sync_run(client, SyncKind.TAGS, by, triggered_by, lambda counts: _tag_sync(client, by, counts))


def analytic_tag_code(account: dict, duplicate_codes: set[str]) -> str:
    """The tag's code: the analytic account's own code when it has a unique one, else "odoo-<id>"."""
    code = (account.get("code") or "").strip()
    if code and code not in duplicate_codes:
        return code[:255]
    return f"odoo-{account['id']}"


def _tag_sync(client: Client, by, counts: _Counts) -> None:
    _, books = odoo_company_books_get(client=client)
    pleo_connection, pleo = pleo_company_client_get(client=client)
    pairs = list(TagGroupPair.objects.filter(client=client))
    if not pairs:
        counts.notes.append("No analytic plan is paired with a Pleo tag group yet: nothing to sync.")
        return
    plans = books.analytic_plans([p.odoo_plan_id for p in pairs])
    for pair in pairs:
        if pair.odoo_plan_id not in plans:
            counts.skipped += 1
            counts.notes.append(f"{pair}: the Odoo analytic plan no longer exists; remove this pair.")
            continue
        if plans[pair.odoo_plan_id] != pair.odoo_plan_name:
            pair._history_user = by
            model_update(instance=pair, fields=["odoo_plan_name"], data={"odoo_plan_name": plans[pair.odoo_plan_id][:300]})
        _tag_sync_pair(client, pair, books, pleo, by, counts)


def _tag_sync_pair(client, pair, books, pleo, by, counts: _Counts) -> None:
    accounts = books.analytic_accounts(plan_id=pair.odoo_plan_id)  # this company's and those of all companies
    codes = [(a.get("code") or "").strip() for a in accounts]
    duplicates = {c for c in codes if c and codes.count(c) > 1}
    tags = pleo.tags(pair.pleo_tag_group_id, include_archived=True)
    by_id = {t["id"]: t for t in tags}
    by_code = {t["code"]: t for t in tags}
    mappings = {m.odoo_analytic_account_id: m for m in AnalyticTagMapping.objects.filter(pair=pair)}
    seen = set()
    for account in accounts:
        seen.add(account["id"])
        code, name, archived = analytic_tag_code(account, duplicates), account["name"], not account.get("active", True)
        mapping = mappings.get(account["id"])
        current = by_id.get(mapping.pleo_tag_id) if mapping else None
        current = current or by_code.get(code)
        if current is None:
            if archived:
                continue  # never in Pleo, and not wanted there
            current = pleo.tag_create(pair.pleo_tag_group_id, code=code, name=name)
            counts.created += 1
            pushed = True
        elif current.get("code") != code or current.get("name") != name or bool(current.get("archived")) != archived:
            was_archived = bool(current.get("archived"))
            current = pleo.tag_update(current["id"], code=code, name=name, archived=archived)
            if archived and not was_archived:
                counts.archived += 1
            else:
                counts.updated += 1
            pushed = True
        else:
            pushed = False
        values = {
            "client": client,
            "odoo_analytic_account_name": name[:300],
            "odoo_analytic_account_code": (account.get("code") or "")[:100],
            "pleo_tag_id": str(current["id"]),
            "pleo_tag_code": code,
            "archived": archived,
        }
        if pushed:
            values["last_synced_at"] = timezone.now()
        _mapping_store(AnalyticTagMapping, {"pair": pair, "odoo_analytic_account_id": account["id"]}, values, by)
    for account_id, mapping in mappings.items():
        if account_id in seen or mapping.archived:
            continue
        # Deleted in Odoo, or moved out of this plan or company: archive its tag, keep the mapping for old exports.
        current = by_id.get(mapping.pleo_tag_id)
        if current is not None and not current.get("archived"):
            pleo.tag_update(current["id"], code=current["code"], name=current.get("name") or mapping.odoo_analytic_account_name,
                            archived=True)
            counts.archived += 1
        _mapping_store(AnalyticTagMapping, {"pair": pair, "odoo_analytic_account_id": account_id},
                       {"archived": True, "last_synced_at": timezone.now()}, by)


# Categories ---------------------------------------------------------------------------------------

def category_mappings_refresh(*, client: Client, by=None) -> int:
    """Read the client's Pleo chart of accounts and keep one mapping row per Pleo category.

    New categories get an empty mapping, renamed or renumbered ones are updated, ones archived or gone in
    Pleo are marked archived; no mapping is ever dropped (an expense still to export may use it).
    Pleo publishes no category endpoint (pleo-api README §9), so every bookkeeping account is offered.
    Returns how many rows were created or changed.
    """
    _active_client_required(client)
    connection, pleo = pleo_company_client_get(client=client)
    accounts = pleo.chart_of_accounts(company_id=connection.company_id)
    now = timezone.now()
    changed = 0
    seen = set()
    for account in accounts:
        seen.add(str(account["id"]))
        values = {
            "pleo_account_code": (account.get("code") or "")[:255],
            "pleo_account_name": (account.get("name") or "")[:255],
            "pleo_external_id": (account.get("externalId") or "")[:255],
            "archived_in_pleo": bool(account.get("archived")),
        }
        with transaction.atomic():
            row = CategoryMapping.objects.select_for_update().filter(client=client, pleo_account_id=str(account["id"])).first()
            if row is None:
                row = CategoryMapping(client=client, pleo_account_id=str(account["id"]), last_seen_at=now, **values)
                row._history_user = by
                row.full_clean()
                row.save()
                changed += 1
                continue
            row._history_user = by
            _, did_change = model_update(instance=row, fields=list(values), data=values)
            changed += did_change
            # last_seen_at alone is not a change worth a history row.
            CategoryMapping.objects.filter(pk=row.pk).update(last_seen_at=now)
    for row in CategoryMapping.objects.filter(client=client, archived_in_pleo=False).exclude(pleo_account_id__in=seen):
        row._history_user = by
        model_update(instance=row, fields=["archived_in_pleo"], data={"archived_in_pleo": True})
        changed += 1
    return changed


def _category_words(mapping: CategoryMapping) -> str:
    return f"{mapping.pleo_account_code} {mapping.pleo_account_name}".strip()


def category_mapping_bulk_update(*, client: Client, rows: list[dict], by=None) -> int:
    """Set the Odoo account and default tax of many categories at once; all or nothing.

    Each row: `id` (a CategoryMapping of this client) or `pleo_account_id`, then `odoo_account_id` and
    `default_tax_id` (None clears). Every account must be an active, non-deprecated account of the client's
    Odoo company and every tax an active purchase tax of it, read live. Raises ValidationError listing each
    refused row by its category. Returns how many mappings changed.
    """
    mappings = {m.pk: m for m in CategoryMapping.objects.filter(client=client)}
    by_pleo_id = {m.pleo_account_id: m for m in mappings.values()}
    errors: list[str] = []
    wanted: list[tuple[CategoryMapping, int | None, int | None]] = []
    for row in rows:
        mapping = mappings.get(_int(row.get("id"))) if row.get("id") not in (None, "") else by_pleo_id.get(str(row.get("pleo_account_id")))
        if mapping is None:
            errors.append(f"{client} has no Pleo category {row.get('id') or row.get('pleo_account_id')}; refresh the categories.")
            continue
        try:
            wanted.append((mapping, _int(row.get("odoo_account_id")), _int(row.get("default_tax_id"))))
        except (TypeError, ValueError):
            errors.append(f"{_category_words(mapping)}: the Odoo account and tax are chosen by their Odoo id.")
    if errors:
        raise ValidationError(errors)
    account_ids = sorted({a for _, a, _ in wanted if a is not None})
    tax_ids = sorted({t for _, _, t in wanted if t is not None})
    labels = {}
    if account_ids or tax_ids:
        connection, books = odoo_company_books_get(client=client)
        company = connection.company_name or f"company {connection.company_id}"
        accounts = books.accounts_read(account_ids)
        taxes = books.taxes_read(tax_ids)
        for mapping, account_id, tax_id in wanted:
            category = _category_words(mapping)
            if account_id is not None:
                account = accounts.get(account_id)
                if account is None or not account["in_company"]:
                    errors.append(f"{category}: Odoo {company} has no account with id {account_id}. Refresh the list and choose again.")
                elif account["retired"]:
                    errors.append(f"{category}: the Odoo account “{account['code']} {account['name']}” is "
                                  f"{account['retired']}. Choose an account in use.")
                else:
                    labels[("account", account_id)] = f"{account['code']} {account['name']}"
            if tax_id is not None:
                tax = taxes.get(tax_id)
                if tax is None or not tax["in_company"] or tax.get("active") is False:
                    errors.append(f"{category}: Odoo {company} has no active tax with id {tax_id}. Refresh the list and choose again.")
                elif tax.get("type_tax_use") != "purchase":
                    errors.append(f"{category}: the default tax must be a purchase tax; “{tax['name']}” is a {tax.get('type_tax_use')} tax.")
                else:
                    description = (tax.get("description") or "").strip()
                    labels[("tax", tax_id)] = f"{tax['name']} {description}".strip() if description and description != tax["name"] else tax["name"]
    if errors:
        raise ValidationError(errors)
    changed = 0
    with transaction.atomic():
        for mapping, account_id, tax_id in wanted:
            mapping._history_user = by
            _, did_change = model_update(instance=mapping, fields=["odoo_account_id", "odoo_account_label", "default_tax_id", "default_tax_label"], data={
                "odoo_account_id": account_id,
                "odoo_account_label": labels.get(("account", account_id), ""),
                "default_tax_id": tax_id,
                "default_tax_label": labels.get(("tax", tax_id), ""),
            })
            changed += did_change
    return changed


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None


@dataclass
class CopyResult:
    """What a template copy did: `matched` as "category → account", `unmatched` with the reason each was not."""

    copied: int = 0
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def category_mappings_copy(*, source: Client, target: Client, by=None) -> CopyResult:
    """Firm template: give `target`'s Pleo categories the accounts `source`'s categories have, matched by code.

    The target's categories are first read from its Pleo. A category matches by its Pleo account number;
    its Odoo account is the target company's active account with the same account code, and its default
    tax the target's purchase tax of the same name. Categories already mapped on the target are overwritten
    only where the source has a mapping. Written through category_mapping_bulk_update (validated, all or nothing).
    """
    if source.pk == target.pk:
        raise ValidationError("Choose another client to copy the mappings to.")
    category_mappings_refresh(client=target, by=by)
    sources = [m for m in CategoryMapping.objects.filter(client=source, archived_in_pleo=False).exclude(odoo_account_id=None)]
    result = CopyResult()
    if not sources:
        result.unmatched.append(f"{source} has no mapped categories to copy.")
        return result
    _, source_books = odoo_company_books_get(client=source)
    source_accounts = source_books.accounts_read(m.odoo_account_id for m in sources)
    _, target_books = odoo_company_books_get(client=target)
    codes = {r["code"] for r in source_accounts.values()}
    target_accounts = {r["code"]: r["id"] for r in target_books.accounts(codes=codes)}
    target_taxes = {}
    for option in odoo_purchase_taxes_for(client=target, refresh=True):
        target_taxes.setdefault(option.label, option.id)
    targets = {}
    for mapping in CategoryMapping.objects.filter(client=target, archived_in_pleo=False).exclude(pleo_account_code=""):
        targets.setdefault(mapping.pleo_account_code, mapping)
    rows = []
    for mapping in sources:
        category = _category_words(mapping)
        target_mapping = targets.get(mapping.pleo_account_code) if mapping.pleo_account_code else None
        if target_mapping is None:
            result.unmatched.append(f"{category}: {target} has no Pleo category with account number “{mapping.pleo_account_code}”.")
            continue
        code = source_accounts.get(mapping.odoo_account_id, {}).get("code")
        if code is None:
            result.unmatched.append(f"{category}: its Odoo account no longer exists in {source}'s Odoo.")
            continue
        account_id = target_accounts.get(code)
        if account_id is None:
            result.unmatched.append(f"{category}: {target}'s Odoo company has no active account with code {code}.")
            continue
        tax_id = target_taxes.get(mapping.default_tax_label) if mapping.default_tax_id else None
        note = ""
        if mapping.default_tax_id and tax_id is None:
            note = f" (no purchase tax “{mapping.default_tax_label}” in {target}'s Odoo: default tax left empty)"
        rows.append({"id": target_mapping.pk, "odoo_account_id": account_id, "default_tax_id": tax_id})
        result.matched.append(f"{category} → {code}{note}")
    if rows:
        result.copied = category_mapping_bulk_update(client=target, rows=rows, by=by)
    return result


# Setup helper -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProposedRecord:
    """An Odoo account or journal the booking settings need and the client's Odoo company lacks."""

    id: str  # the setting it fills, e.g. "wallet_account"; stable so a confirmation names what was shown
    record: str  # "account" or "journal"
    values: dict
    reason: str

    @property
    def label(self) -> str:
        return f"{self.values['code']} {self.values['name']}"

    @property
    def kind(self) -> str:
        """The Odoo account type or journal type it is created with."""
        return self.values.get("account_type") or self.values.get("type", "")


@dataclass(frozen=True)
class CreatedRecord:
    id: str
    record: str  # "account" or "journal"
    odoo_id: int
    label: str


# (setting, account or journal, name, type, preferred code, why). Codes sit next to their kind in a Dutch-style chart;
# the next free number is used when the preferred one is taken.
_SETUP_RECORDS = (
    ("wallet_account", "account", "Pleo Wallet", "asset_current", "109900",
     "Card expenses are paid from the Pleo Wallet; its balance needs a current-asset account."),
    ("out_of_pocket_account", "account", "Pleo out-of-pocket", "liability_current", "149900",
     "What the company owes employees for expenses they paid themselves needs a current-liability account."),
    ("card_journal", "journal", "Pleo", "general", "PLEO",
     "Card expenses booked as journal entries go to a Miscellaneous journal of their own."),
)


def setup_proposal(*, client: Client) -> list[ProposedRecord]:
    """What the setup helper offers to create: a needed record that is neither chosen in the settings nor
    present in Odoo under its name. Reads only; nothing is created here."""
    settings = BookingSettings.objects.filter(client=client).first()
    _, books = odoo_company_books_get(client=client)
    accounts = books.accounts(in_use_only=False)
    journals = books.journals(include_archived=True)
    proposal = []
    for setting, record, name, kind, code, reason in _SETUP_RECORDS:
        if settings is not None and getattr(settings, f"{setting}_id") is not None:
            continue
        existing = accounts if record == "account" else journals
        if any(row["name"].strip().lower() == name.lower() for row in existing):
            continue  # it exists: the bookkeeper only has to choose it
        free = _free_code(code, {row["code"] for row in existing})
        values = (books.account_create_values(name=name, code=free, account_type=kind) if record == "account"
                  else books.journal_create_values(name=name, code=free, journal_type=kind))
        proposal.append(ProposedRecord(id=setting, record=record, values=values, reason=reason))
    return proposal


def _free_code(code: str, taken: set[str]) -> str:
    if code not in taken:
        return code
    if code.isdigit():
        number = int(code)
        while str(number).zfill(len(code)) in taken:
            number += 1
        return str(number).zfill(len(code))
    for n in range(1, 100):
        candidate = f"{code[:4]}{n}"[:5]
        if candidate not in taken:
            return candidate
    raise PortalError(f"No free code near {code} in Odoo.")


def setup_apply(*, client: Client, proposal_ids: list[str], by=None) -> list[CreatedRecord]:
    """Create the confirmed proposals in Odoo, then choose them in the booking settings where those are empty.

    The proposal is computed again, so a record created meanwhile (a second click, another bookkeeper) is
    not made twice; Odoo writes are never retried (STYLE C7). Creating accounts and journals needs the
    Odoo "Billing Administrator" (Adviser) right: without it Odoo's refusal is raised as it is.
    """
    wanted = set(proposal_ids)
    _, books = odoo_company_books_get(client=client)
    created: list[CreatedRecord] = []
    for record in setup_proposal(client=client):
        if record.id not in wanted:
            continue
        try:
            odoo_id = books.chart_record_create(record.record, record.values)
        except PortalError as exc:
            if not created:
                raise
            done = ", ".join(c.label for c in created)
            raise PortalError(f"Created {done} in Odoo, then Odoo refused “{record.label}”: {exc}") from exc
        created.append(CreatedRecord(id=record.id, record=record.record, odoo_id=odoo_id, label=record.label))
        logger.info("mappings: created %s %s in Odoo for client %s", record.record, odoo_id, client.pk)
    if created:
        data = {f"{record.id}_id": record.odoo_id for record in created}
        try:
            booking_settings_update(client=client, data=data, by=by)
        except ValidationError as exc:
            # Created in Odoo all the same; the bookkeeper completes the settings and picks them there.
            logger.info("mappings: setup records created for client %s, settings still incomplete: %s",
                        client.pk, "; ".join(exc.messages))
    return created
