"""Reads for the mappings: a client's live Odoo and Pleo clients, the pick lists read from them, sync runs."""
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import QuerySet

from integrations.errors import PortalError
from integrations.models import Client
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from integrations.odoo.chart import ACCOUNT_TYPE_LABELS
from mappings.choices import (
    EXPORT_ITEM_TYPES,
    KindMode,
    PleoTaxType,
    ProblemKind,
    TopUpHandling,
)
from mappings.models import (
    ODOO_ACCOUNT_FIELDS,
    ODOO_JOURNAL_FIELDS,
    BookingSettings,
    CategoryMapping,
    PleoTaxCode,
    SyncRun,
    TaxMapping,
)
from mappings.tax_code_rule import pleo_tax_code_wanted

__all__ = [
    "OdooOption",
    "OdooChoices",
    "ODOO_CHOICES_CACHE_SECONDS",
    "odoo_choices_for",
    "odoo_analytic_plans_for",
    "pleo_tag_groups_for",
    "sync_runs_for",
    "odoo_purchase_taxes_for",
    "OdooPurchaseTax",
    "odoo_purchase_taxes_for_pleo",
    "TaxCodeTarget",
    "tax_code_targets_for",
    "category_mappings_for",
    "kind_mode_for",
    "Problem",
    "mapping_problems",
]

# Long enough that a bookkeeper filling in one form does not wait on Odoo each time, short enough that
# an account created in Odoo shows up soon without pressing "refresh".
ODOO_CHOICES_CACHE_SECONDS = 5 * 60


@dataclass(frozen=True)
class OdooOption:
    id: int
    label: str  # "code name", as Odoo shows it
    type: str  # Odoo's type of the account or journal


@dataclass(frozen=True)
class OdooChoices:
    accounts: tuple[OdooOption, ...]
    journals: tuple[OdooOption, ...]

    def account_choices(self) -> list[tuple[int, str]]:
        return [(o.id, f"{o.label} ({ACCOUNT_TYPE_LABELS.get(o.type, o.type)})") for o in self.accounts]

    def journal_choices(self) -> list[tuple[int, str]]:
        return [(o.id, f"{o.label} ({o.type})") for o in self.journals]


def _cache_key(connection) -> str:
    # The connection's company and last change are in the key, so choosing another company never
    # shows the previous company's chart.
    return f"mappings:odoo-choices:{connection.pk}:{connection.company_id}:{connection.updated_at.timestamp()}"


def odoo_choices_for(*, client: Client, refresh: bool = False) -> OdooChoices:
    """The active accounts and journals of the client's Odoo company, as "code name", cached a few minutes."""
    connection, books = odoo_company_books_get(client=client)
    key = _cache_key(connection)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    accounts = tuple(OdooOption(row["id"], f"{row['code']} {row['name']}", row["type"])
                     for row in books.accounts())
    journals = tuple(OdooOption(row["id"], f"{row['code']} {row['name']}", row["type"]) for row in books.journals())
    choices = OdooChoices(accounts=accounts, journals=journals)
    cache.set(key, choices, ODOO_CHOICES_CACHE_SECONDS)
    return choices


def odoo_analytic_plans_for(*, client: Client) -> list[tuple[int, str]]:
    """(id, name) of the Odoo analytic plans."""
    _, books = odoo_company_books_get(client=client)
    return list(books.analytic_plans().items())


def pleo_tag_groups_for(*, client: Client) -> list[dict]:
    """The client's active Pleo tag groups (id, code, name, ...)."""
    connection, pleo = pleo_company_client_get(client=client)
    return pleo.tag_groups(company_id=connection.company_id)


def sync_runs_for(*, user, client: Client | None = None) -> QuerySet[SyncRun]:
    runs = SyncRun.objects.for_user(user).select_related("client")
    return runs.filter(client=client) if client is not None else runs


def odoo_purchase_taxes_for(*, client: Client, refresh: bool = False) -> tuple[OdooOption, ...]:
    """The active purchase taxes of the client's Odoo company as (id, "name description"), cached like the chart."""
    connection, books = odoo_company_books_get(client=client)
    key = _cache_key(connection).replace("odoo-choices", "odoo-purchase-taxes")
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    taxes = tuple(OdooOption(tax.id, tax.label, tax.computation) for tax in books.purchase_taxes())
    cache.set(key, taxes, ODOO_CHOICES_CACHE_SECONDS)
    return taxes


@dataclass(frozen=True)
class OdooPurchaseTax:
    id: int
    label: str  # "name description", as odoo_purchase_taxes_for
    rate: Decimal  # a fraction, like Pleo's: 21 % is Decimal("0.21")
    reverse: bool  # EU reverse charge


def odoo_purchase_taxes_for_pleo(*, client: Client, refresh: bool = False) -> tuple[OdooPurchaseTax, ...]:
    """The purchase taxes a Pleo tax code can stand for (percentages), with the rate and reverse charge the tax
    sync reads in them (mappings.tax_code_rule), cached like the chart."""
    connection, books = odoo_company_books_get(client=client)
    key = _cache_key(connection).replace("odoo-choices", "odoo-purchase-taxes-for-pleo")
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    taxes = []
    for tax in books.purchase_taxes():
        wanted = pleo_tax_code_wanted(tax)
        if not isinstance(wanted, str):
            taxes.append(OdooPurchaseTax(tax.id, tax.label, wanted["rate"], wanted["type"] == PleoTaxType.REVERSE))
    taxes = tuple(taxes)
    cache.set(key, taxes, ODOO_CHOICES_CACHE_SECONDS)
    return taxes


@dataclass(frozen=True)
class TaxCodeTarget:
    odoo_tax_id: int
    odoo_tax_name: str
    reverse: bool  # the Pleo tax code is reverse charge (and so, checked when it was mapped, is its Odoo tax)


def tax_code_targets_for(*, client: Client) -> dict[str, TaxCodeTarget]:
    """The Odoo tax each Pleo tax code id of the client is booked with: the tax sync's codes and the codes made in
    Pleo that a bookkeeper mapped.

    A code the sync archived is left out (its Odoo tax is gone or Pleo cannot express it); a hand-mapped code
    archived in Pleo stays in, since its Odoo tax still holds for the expenses that carry it.
    """
    targets = {
        row.pleo_tax_code_id: TaxCodeTarget(row.odoo_tax_id, row.odoo_tax_name, row.pleo_type == PleoTaxType.REVERSE)
        for row in PleoTaxCode.objects.filter(client=client, odoo_tax_id__isnull=False)
    }
    targets.update({
        row.pleo_tax_code_id: TaxCodeTarget(row.odoo_tax_id, row.odoo_tax_name, row.pleo_type == PleoTaxType.REVERSE)
        for row in TaxMapping.objects.filter(client=client, archived=False).exclude(pleo_tax_code_id="")
    })
    return targets


def category_mappings_for(*, user, client: Client | None = None) -> QuerySet[CategoryMapping]:
    rows = CategoryMapping.objects.for_user(user).select_related("client")
    return rows.filter(client=client) if client is not None else rows


def kind_mode_for(*, settings: BookingSettings, item_type: str) -> str:
    """How the export books one Pleo export item type for this client (a KindMode value).

    The stored per-type choice wins; without one, card and out-of-pocket types follow their booking
    mode, Wallet top-ups and unloads follow the top-up setting, a supplier invoice follows Pleo (a vendor
    bill when Pleo books it on accounts payable), and everything else is a journal entry.
    """
    stored = (settings.kind_modes or {}).get(item_type)
    if stored in KindMode.values:
        return stored
    if item_type in ("card_purchase", "card_invoice"):
        return settings.card_booking_mode
    if item_type in ("out_of_pocket", "mileage", "per_diem"):
        return settings.out_of_pocket_booking_mode
    if item_type in ("wallet_topup", "wallet_unload"):
        return KindMode.JOURNAL_ENTRY if settings.wallet_topups == TopUpHandling.BOOK else KindMode.DISABLED
    if item_type not in EXPORT_ITEM_TYPES:
        raise PortalError(f"Pleo export item type “{item_type}” is unknown to the portal.")
    if item_type == "invoice":
        return KindMode.FOLLOW_PLEO
    return KindMode.JOURNAL_ENTRY


# Mapping problems ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    kind: str  # a ProblemKind value
    message: str  # in the bookkeeper's words: what is wrong and what to do
    link: str = ""  # admin URL name (+ args) where it is fixed, e.g. "admin:mappings_categorymapping_map"
    link_args: tuple = ()


def mapping_problems(*, client: Client) -> list[Problem]:
    """What would stop or spoil this client's next export, found now rather than at export time.

    Reads Odoo once per model (accounts, journals, taxes by id, inactive ones included); an Odoo that
    cannot be read is itself reported as a problem, so the client page always opens.
    """
    problems: list[Problem] = []
    settings = BookingSettings.objects.filter(client=client).first()
    if settings is None:
        problems.append(Problem(
            ProblemKind.NO_BOOKING_SETTINGS,
            f"{client} has no booking settings yet: choose its accounts and journals before the first export.",
            "admin:mappings_bookingsettings_add",
        ))
    mappings = list(CategoryMapping.objects.filter(client=client, archived_in_pleo=False))
    for mapping in mappings:
        if mapping.odoo_account_id is None:
            problems.append(Problem(
                ProblemKind.CATEGORY_UNMAPPED,
                f"The Pleo category “{_category(mapping)}” has no Odoo account: expenses in it cannot be exported.",
                "admin:mappings_categorymapping_map", (client.pk,),
            ))
    for mapping in TaxMapping.objects.filter(client=client, archived=True).exclude(pleo_tax_code_id=""):
        problems.append(Problem(
            ProblemKind.TAX_MAPPING_ARCHIVED,
            f"The tax “{mapping.odoo_tax_name}” is archived in Pleo"
            + (f" ({mapping.skip_reason})" if mapping.skip_reason else "")
            + ": expenses still carrying its tax code are refused by the export.",
            "admin:mappings_taxmapping_changelist",
        ))
    account_ids, journal_ids, tax_ids = set(), set(), set()
    if settings is not None:
        account_ids |= {getattr(settings, f"{n}_id") for n in ODOO_ACCOUNT_FIELDS} - {None}
        journal_ids |= {getattr(settings, f"{n}_id") for n in ODOO_JOURNAL_FIELDS} - {None}
    account_ids |= {m.odoo_account_id for m in mappings} - {None}
    tax_ids |= {m.default_tax_id for m in mappings} - {None}
    if not (account_ids or journal_ids or tax_ids):
        return problems
    try:
        _, books = odoo_company_books_get(client=client)
        accounts = books.accounts_read(account_ids)
        journals = books.journals_read(journal_ids)
        taxes = books.taxes_read(tax_ids)
    except PortalError as exc:
        return problems + [Problem(ProblemKind.ODOO_UNREACHABLE,
                                   f"Odoo could not be read to check the mapped accounts: {exc}",
                                   "admin:integrations_odooconnection_changelist")]
    if settings is not None:
        for name in ODOO_ACCOUNT_FIELDS:
            what = BookingSettings._meta.get_field(f"{name}_id").verbose_name
            reason = _account_unusable(accounts, getattr(settings, f"{name}_id"))
            if reason:
                problems.append(Problem(
                    ProblemKind.SETTING_UNUSABLE,
                    f"The {what} “{getattr(settings, f'{name}_label') or getattr(settings, f'{name}_id')}” {reason} "
                    "in Odoo: choose another one in the booking settings.",
                    "admin:mappings_bookingsettings_change", (settings.pk,),
                ))
        for name in ODOO_JOURNAL_FIELDS:
            what = BookingSettings._meta.get_field(f"{name}_id").verbose_name
            journal_id = getattr(settings, f"{name}_id")
            if journal_id is None:
                continue
            row = journals.get(journal_id)
            reason = _unusable(row)
            if reason:
                problems.append(Problem(
                    ProblemKind.SETTING_UNUSABLE,
                    f"The {what} “{getattr(settings, f'{name}_label') or journal_id}” {reason} in Odoo: "
                    "choose another one in the booking settings.",
                    "admin:mappings_bookingsettings_change", (settings.pk,),
                ))
    for mapping in mappings:
        reason = _account_unusable(accounts, mapping.odoo_account_id)
        if reason:
            problems.append(Problem(
                ProblemKind.CATEGORY_MAPPING_UNUSABLE,
                f"The Pleo category “{_category(mapping)}” is mapped to the Odoo account "
                f"“{mapping.odoo_account_label or mapping.odoo_account_id}”, which {reason}: "
                "map it to another account.",
                "admin:mappings_categorymapping_map", (client.pk,),
            ))
        if mapping.default_tax_id is not None:
            row = taxes.get(mapping.default_tax_id)
            reason = _unusable(row)
            if reason:
                problems.append(Problem(
                    ProblemKind.CATEGORY_MAPPING_UNUSABLE,
                    f"The default tax “{mapping.default_tax_label or mapping.default_tax_id}” of the Pleo category "
                    f"“{_category(mapping)}” {reason} in Odoo: choose another tax.",
                    "admin:mappings_categorymapping_map", (client.pk,),
                ))
    return problems


def _category(mapping: CategoryMapping) -> str:
    return f"{mapping.pleo_account_code} {mapping.pleo_account_name}".strip()


def _unusable(row: dict | None) -> str:
    """Why a journal or tax read by id cannot be used: gone (or another company's), or archived."""
    if row is None or not row["in_company"]:
        return "was deleted"
    return "is archived" if row.get("active") is False else ""


def _account_unusable(accounts: dict, account_id: int | None) -> str:
    if account_id is None:
        return ""
    row = accounts.get(account_id)
    if row is None or not row["in_company"]:
        return "was deleted"
    if row["retired"]:
        return f"is {row['retired']}"
    return ""
