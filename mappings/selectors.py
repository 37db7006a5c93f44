"""Reads for the mappings: a client's live Odoo and Pleo clients, the pick lists read from them, sync runs."""
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet

from integrations.errors import PortalError
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.client import OdooClient
from integrations.pleo.client import PleoClient
from integrations.services import odoo_client_for, pleo_client_for
from mappings.choices import EXPORT_ITEM_TYPES, ODOO_ACCOUNT_TYPE_LABELS, KindMode, ProblemKind, TopUpHandling
from mappings.models import ODOO_ACCOUNT_FIELDS, ODOO_JOURNAL_FIELDS, BookingSettings, CategoryMapping, SyncRun, TaxMapping

__all__ = [
    "OdooOption",
    "OdooChoices",
    "ODOO_CHOICES_CACHE_SECONDS",
    "odoo_company_client_get",
    "pleo_company_client_get",
    "odoo_choices_for",
    "odoo_analytic_plans_for",
    "pleo_tag_groups_for",
    "sync_runs_for",
    "odoo_purchase_taxes_for",
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
    type: str  # account_type of an account, type of a journal


@dataclass(frozen=True)
class OdooChoices:
    accounts: tuple[OdooOption, ...]
    journals: tuple[OdooOption, ...]

    def account_choices(self) -> list[tuple[int, str]]:
        return [(o.id, f"{o.label} ({ODOO_ACCOUNT_TYPE_LABELS.get(o.type, o.type)})") for o in self.accounts]

    def journal_choices(self) -> list[tuple[int, str]]:
        return [(o.id, f"{o.label} ({o.type})") for o in self.journals]


def odoo_company_client_get(*, client: Client) -> tuple[OdooConnection, OdooClient]:
    """The client's Odoo connection and a client acting in its chosen company, or a PortalError saying what is missing."""
    # Read afresh: a Client instance may hold a connection cached before its company was chosen.
    connection = OdooConnection.objects.filter(client=client).first()
    if connection is None:
        raise PortalError(f"{client} has no Odoo connection yet: set it up and press Verify first.")
    if not connection.company_id:
        raise PortalError(f"Choose the Odoo company of {client} on its Odoo connection first.")
    return connection, odoo_client_for(connection)


def pleo_company_client_get(*, client: Client) -> tuple[PleoConnection, PleoClient]:
    connection = PleoConnection.objects.filter(client=client).first()
    if connection is None:
        raise PortalError(f"{client} has no Pleo connection yet: set it up and press Verify first.")
    if not connection.company_id:
        raise PortalError(f"Enter the Pleo company of {client} on its Pleo connection first.")
    return connection, pleo_client_for(connection)


def _cache_key(connection) -> str:
    # The connection's company and last change are in the key, so choosing another company never
    # shows the previous company's chart.
    return f"mappings:odoo-choices:{connection.pk}:{connection.company_id}:{connection.updated_at.timestamp()}"


def odoo_choices_for(*, client: Client, refresh: bool = False) -> OdooChoices:
    """The active accounts and journals of the client's Odoo company, as "code name", cached a few minutes."""
    connection, odoo = odoo_company_client_get(client=client)
    key = _cache_key(connection)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    company = [("company_id", "=", connection.company_id)]
    accounts = tuple(
        OdooOption(row["id"], f"{row['code']} {row['name']}", row["account_type"])
        for row in odoo.search_read(
            "account.account", company + [("deprecated", "=", False)], ["code", "name", "account_type"],
            order="code",
        )
    )
    journals = tuple(
        OdooOption(row["id"], f"{row['code']} {row['name']}", row["type"])
        for row in odoo.search_read("account.journal", company, ["code", "name", "type"], order="code")
    )
    choices = OdooChoices(accounts=accounts, journals=journals)
    cache.set(key, choices, ODOO_CHOICES_CACHE_SECONDS)
    return choices


def odoo_analytic_plans_for(*, client: Client) -> list[tuple[int, str]]:
    """(id, name) of the Odoo analytic plans. Plans have no company in Odoo 17 (recording 18), so none is asked for."""
    _, odoo = odoo_company_client_get(client=client)
    return [(row["id"], row["name"]) for row in odoo.search_read("account.analytic.plan", [], ["name"])]


def pleo_tag_groups_for(*, client: Client) -> list[dict]:
    """The client's active Pleo tag groups (id, code, name, ...)."""
    connection, pleo = pleo_company_client_get(client=client)
    return pleo.tag_groups(company_id=connection.company_id)


def sync_runs_for(*, user, client: Client | None = None) -> QuerySet[SyncRun]:
    runs = SyncRun.objects.for_user(user).select_related("client")
    return runs.filter(client=client) if client is not None else runs


def odoo_purchase_taxes_for(*, client: Client, refresh: bool = False) -> tuple[OdooOption, ...]:
    """The active purchase taxes of the client's Odoo company as (id, "name description"), cached like the chart."""
    connection, odoo = odoo_company_client_get(client=client)
    key = _cache_key(connection).replace("odoo-choices", "odoo-purchase-taxes")
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    taxes = tuple(
        OdooOption(row["id"], _tax_label(row), row["amount_type"])
        for row in odoo.search_read(
            "account.tax",
            [("type_tax_use", "=", "purchase"), ("company_id", "=", connection.company_id)],
            ["name", "description", "amount_type"],
        )
    )
    cache.set(key, taxes, ODOO_CHOICES_CACHE_SECONDS)
    return taxes


def _tax_label(row: dict) -> str:
    description = (row.get("description") or "").strip()
    return f"{row['name']} {description}".strip() if description and description != row["name"] else row["name"]


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
        connection, odoo = odoo_company_client_get(client=client)
        # read() by id returns archived records too (Odoo applies active_test to searches only).
        accounts = _by_id(odoo.read("account.account", sorted(account_ids),
                                    ["code", "name", "deprecated", "company_id"])) if account_ids else {}
        journals = _by_id(odoo.read("account.journal", sorted(journal_ids),
                                    ["code", "name", "active", "company_id"])) if journal_ids else {}
        taxes = _by_id(odoo.read("account.tax", sorted(tax_ids),
                                 ["name", "active", "type_tax_use", "company_id"])) if tax_ids else {}
    except PortalError as exc:
        return problems + [Problem(ProblemKind.ODOO_UNREACHABLE,
                                   f"Odoo could not be read to check the mapped accounts: {exc}",
                                   "admin:integrations_odooconnection_changelist")]
    company = connection.company_id
    if settings is not None:
        for name in ODOO_ACCOUNT_FIELDS:
            what = BookingSettings._meta.get_field(f"{name}_id").verbose_name
            reason = _account_unusable(accounts, getattr(settings, f"{name}_id"), company)
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
            reason = ("was deleted" if row is None or _company_of(row) != company
                      else "is archived" if row.get("active") is False else "")
            if reason:
                problems.append(Problem(
                    ProblemKind.SETTING_UNUSABLE,
                    f"The {what} “{getattr(settings, f'{name}_label') or journal_id}” {reason} in Odoo: "
                    "choose another one in the booking settings.",
                    "admin:mappings_bookingsettings_change", (settings.pk,),
                ))
    for mapping in mappings:
        reason = _account_unusable(accounts, mapping.odoo_account_id, company)
        if reason:
            problems.append(Problem(
                ProblemKind.CATEGORY_MAPPING_UNUSABLE,
                f"The Pleo category “{_category(mapping)}” is mapped to the Odoo account "
                f"“{mapping.odoo_account_label or mapping.odoo_account_id}”, which {reason}: map it to another account.",
                "admin:mappings_categorymapping_map", (client.pk,),
            ))
        if mapping.default_tax_id is not None:
            row = taxes.get(mapping.default_tax_id)
            reason = ("was deleted" if row is None or _company_of(row) != company
                      else "is archived" if row.get("active") is False else "")
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


def _by_id(rows) -> dict[int, dict]:
    return {row["id"]: row for row in rows}


def _company_of(row: dict) -> int | None:
    company = row.get("company_id")
    return company[0] if isinstance(company, list) and company else None


def _account_unusable(accounts: dict, account_id: int | None, company_id: int) -> str:
    if account_id is None:
        return ""
    row = accounts.get(account_id)
    if row is None or _company_of(row) != company_id:
        return "was deleted"
    if row.get("deprecated"):
        return "is deprecated"
    return ""
