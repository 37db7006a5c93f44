"""The demo a newcomer watches: three client companies wired to the sandbox Pleo and emulated Odoo."""
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from integrations.models import Client
from integrations.selectors import odoo_client_for
from integrations.services import client_create, odoo_connection_save, pleo_connection_save
from integrations.verify_odoo import odoo_connection_verify
from integrations.verify_pleo import pleo_connection_verify
from mappings.models import AnalyticTagMapping, CategoryMapping, TagGroupPair, TaxMapping
from mappings.booking_settings import booking_settings_update
from mappings.category_mappings import category_mapping_bulk_update, category_mappings_refresh
from mappings.tag_sync import tag_sync
from sandbox.odoo.models import EmulatedDatabase, EmulatedRecord
from sandbox.odoo.services import emulated_database_create, emulated_uid, emulated_user_groups_set
from sandbox.pleo.models import Company, Tag
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create, sandbox_company_create
from sandbox.transport import sandboxes_in_process

# The reverse-charge purchase tax of the Dutch chart ("21% R" from 17, "21% BTW verlegd" in 16).
REVERSE_CHARGE_TAX = {16: 23, 17: 18, 18: 16, 19: 16}
# The account of the Dutch chart (l10n_nl, the same codes in Odoo 16 to 19) each Pleo category of the sandbox
# (sandbox.pleo.services.ACCOUNTS, by code) is booked on, as a Dutch accountant would.
CATEGORY_ACCOUNTS = {
    "6810": "431000",  # Office supplies: Office supplies (Kantoorbenodigdheden)
    "6860": "436000",  # Software subscriptions: Automation costs (Automatiseringskosten)
    "7130": "404200",  # Travel - local transport: Other travel expenses (Overige reiskosten)
    "7140": "451000",  # Travel - accommodation: Travel and accommodation expenses (Reis- en verblijfkosten)
    "7150": "401800",  # Travel - mileage allowance: Reimbursement of other travel expenses
    "7160": "401900",  # Travel - per diem allowance: Reimbursement of other expenses
    "7200": "451500",  # Meals and entertainment: Representation costs (Representatiekosten)
    "6400": "460500",  # Consulting fees: Consultancy fees (Advieskosten)
    "6900": "463000",  # Bank fees: Bank charges (Bankkosten)
    "6910": "479000",  # Interest expense: Other interest expenses (Overige rentelasten)
    "8300": "809000",  # Other income - cashback: Sundry other income (Diverse overige opbrengsten)
    "1410": "129000",  # Employee receivable: Other short-term receivables (Overige kortlopende vorderingen)
    "4400": "130000",  # Accounts payable: Creditors (Crediteuren)
    "5820": "106001",  # Pleo Wallet: Liquidity Transfer, the booking settings' Wallet account
}
# Petty cash and the bank are the accounts of the Cash and Bank journals, whose codes differ per version; 19's
# chart has no Cash journal, so petty cash goes to the bank there.
CATEGORY_JOURNAL_ACCOUNTS = {"1100": ("cash", "bank"), "1200": ("bank",)}

__all__ = ["DemoSummary", "DEMO_CLIENTS", "demo_seed", "export_mappings_seed"]

# name, Odoo database, Odoo version, Pleo wallet currency, number of expenses
DEMO_CLIENTS = [
    ("Bakkerij De Vries BV", "demo-bakkerij", 16, "EUR", 90),
    ("Studio Noord BV", "demo-studio", 17, "EUR", 120),
    ("Kanaal Logistics BV", "demo-logistics", 19, "EUR", 110),  # over JSON-2, as Odoo Online runs 19
]
DEMO_LOGIN = "pleo@example.com"


@dataclass
class DemoSummary:
    clients: list[str]
    expenses: int
    username: str = ""
    password: str = ""


@transaction.atomic
def demo_seed(*, base_url: str) -> DemoSummary | None:
    """Seed the demo on an empty portal; returns None when clients exist already (nothing is touched)."""
    if Client.objects.exists():
        return None
    base_url = base_url.rstrip("/")
    summary = DemoSummary(clients=[], expenses=0)
    for index, (name, database_name, version, currency, count) in enumerate(DEMO_CLIENTS):
        api_key = secrets.token_hex(20)
        database = emulated_database_create(name=database_name, version=version, api_keys={DEMO_LOGIN: api_key})
        # The recorded integration user lacks these two; the demo shows every check passing.
        emulated_user_groups_set(database=database, uid=emulated_uid(version=version, login=DEMO_LOGIN),
                                 add=["base.group_partner_manager", "account.group_account_manager"])
        # The emulated Odoo company carries the client's name, so the demo reads naturally.
        odoo_company = EmulatedRecord.objects.get(database=database, model="res.company", record_id=1)
        odoo_company.values = {**odoo_company.values, "name": name}
        odoo_company.save(update_fields=["values"])
        company, token = sandbox_company_create(name=name, currency=currency)
        client = client_create(name=name, notes="Demo client wired to the sandboxes.")
        odoo = odoo_connection_save(client=client, api_key=api_key, data={
            "url": f"{base_url}/sandbox/odoo/{database_name}", "database": database_name, "login": DEMO_LOGIN})
        odoo.company_id, odoo.company_name = 1, name
        odoo.save(update_fields=["company_id", "company_name"])
        pleo_connection_save(client=client, api_token=token, data={
            "api_base_url": f"{base_url}/sandbox/pleo", "company_id": str(company.uuid), "company_name": name})
        with sandboxes_in_process(base_url):
            # Verified as a firm would after entering them, so the dashboard opens on healthy connections.
            odoo_connection_verify(connection=odoo)
            pleo_connection_verify(connection=client.pleo_connection)
            export_mappings_seed(client=client, database=database, company=company, tags_by_sync=True)
            # The client's accountant has made a 0 % purchase tax in Odoo, which the Dutch chart lacks; Pleo's
            # own 0 % code "I0" waits for a bookkeeper to choose it (Mappings → Tax codes made in Pleo), so the
            # demo's failures for want of it can be fixed and retried, as a firm's would.
            odoo.refresh_from_db()
            odoo_client_for(odoo).create("account.tax", {
                "name": "0% purchases", "amount": 0.0, "amount_type": "percent", "type_tax_use": "purchase",
                "company_id": 1})
        items = export_items_generate(company=company, count=count, seed=index)
        # A few jobs per client, as bookkeepers press Export in Pleo during the month.
        for start in range(0, len(items), 40):
            # Pressed before the portal runs: no webhook reaches it, the first poll after the start books them.
            export_job_create(company=company, items=items[start:start + 40], announce=False)
        summary.clients.append(name)
        summary.expenses += len(items)
    users = get_user_model().objects
    if not users.filter(is_superuser=True).exists():
        summary.username, summary.password = "demo", secrets.token_urlsafe(9)
        users.create_superuser(summary.username, "demo@firm.example", summary.password)
    return summary


def export_mappings_seed(*, client: Client, database: EmulatedDatabase, company: Company, odoo_company_id: int = 1,
                         tags_by_sync: bool = False) -> None:
    """Every mapping the export needs, against an emulated Odoo and a Pleo sandbox company.

    Settings and categories go through the services, so they are checked in the live (emulated) Odoo
    like a bookkeeper's; the 0 % Pleo tax code is left unmapped on purpose (the Dutch chart has no plain
    0 % purchase tax), so its expenses show how a missing mapping looks.
    """
    # The company's chart read once: a lookup per account read the whole chart each time.
    charted = EmulatedRecord.objects.filter(database=database, model="account.account")
    # A company's account: company_id until 17, company_ids from 18 (odoo-contract 13, 14).
    account_ids = {values["code"]: record_id for record_id, values in charted.values_list("record_id", "values")
                   if odoo_company_id in (values.get("company_ids") or [values.get("company_id")])}

    def account(code):
        return account_ids[code]

    # The export creates supplier and employee contacts it cannot find (Extra Rights: Contact Creation).
    emulated_user_groups_set(database=database, uid=emulated_uid(version=database.version, login="pleo@example.com"),
                             add=["base.group_partner_manager"])
    booking_settings_update(client=client, data={
        "wallet_account_id": account("106001"),
        "out_of_pocket_account_id": account("149000"),
        "reimbursement_contra_account_id": account("135000"),
        "payables_account_id": account("130000"),
        "topup_bank_account_id": account("104000"),
        "card_journal_id": 3,
        "bill_journal_id": 2,
        "card_post_state": "posted",
        "out_of_pocket_post_state": "posted",
        "wallet_topups": "book",
    })
    category_mappings_refresh(client=client)
    journal_accounts = {}
    for values in EmulatedRecord.objects.filter(database=database, model="account.journal").order_by(
            "record_id").values_list("values", flat=True):
        if values.get("company_id") == odoo_company_id and values.get("default_account_id"):
            journal_accounts.setdefault(values["type"], values["default_account_id"])
    category_accounts = {code: account(odoo_code) for code, odoo_code in CATEGORY_ACCOUNTS.items()} | {
        code: next(journal_accounts[kind] for kind in kinds if kind in journal_accounts)
        for code, kinds in CATEGORY_JOURNAL_ACCOUNTS.items()}
    category_mapping_bulk_update(client=client, rows=[
        {"id": mapping.pk, "odoo_account_id": category_accounts.get(mapping.pleo_account_code), "default_tax_id": None}
        for mapping in CategoryMapping.objects.filter(client=client)
    ])
    reverse = REVERSE_CHARGE_TAX[database.version]
    # One Odoo tax per Pleo tax code (the tax sync's rule): each rate's VAT-excluded taxes in id order.
    unused = defaultdict(list)
    for tax in EmulatedRecord.objects.filter(database=database, model="account.tax").order_by("record_id"):
        values = tax.values
        if (values.get("type_tax_use") == "purchase" and not values.get("price_include")
                and values.get("company_id") == odoo_company_id and tax.record_id != reverse):
            unused[int(Decimal(str(values["amount"])))].append(tax.record_id)
    for code in company.tax_codes.order_by("code"):
        rate = int(code.rate * 100)
        if code.type == "reverse":
            tax_id, pleo_type = reverse, "reverse"
        elif rate and unused[rate]:
            tax_id, pleo_type = unused[rate].pop(0), "inclusive"
        else:
            continue
        TaxMapping.objects.create(client=client, odoo_tax_id=tax_id, odoo_tax_name=f"tax {tax_id}",
                                  pleo_tax_code_id=str(code.uuid), pleo_tax_code=code.code or "",
                                  pleo_rate=code.rate, pleo_type=pleo_type)
    if tags_by_sync:
        _tags_by_sync(client=client, database=database, company=company)
        return
    # The sandbox's seeded tags mapped straight onto analytic accounts: fixed data for tests that
    # never run the tag sync.
    analytic = [r.record_id for r in EmulatedRecord.objects.filter(
        database=database, model="account.analytic.account").order_by("record_id")]
    for index, group in enumerate(company.tag_groups.order_by("code")):
        pair = TagGroupPair.objects.create(client=client, odoo_plan_id=index + 1, odoo_plan_name=group.name,
                                           pleo_tag_group_id=str(group.uuid), pleo_tag_group_code=group.code,
                                           pleo_tag_group_name=group.name)
        for position, tag in enumerate(Tag.objects.filter(group=group).order_by("code")):
            AnalyticTagMapping.objects.create(client=client, pair=pair,
                                              odoo_analytic_account_id=analytic[position % len(analytic)],
                                              odoo_analytic_account_name=tag.name or tag.code,
                                              pleo_tag_id=str(tag.uuid), pleo_tag_code=tag.code)


def _tags_by_sync(*, client: Client, database: EmulatedDatabase, company: Company) -> None:
    """Tag groups paired with the analytic plans and their tags made by the real tag sync, so the hourly
    sync finds nothing to undo; the sandbox's own seeded tags are archived, as a bookkeeper would once
    the Odoo-made ones exist."""
    plans = [r.record_id for r in EmulatedRecord.objects.filter(database=database, model="account.analytic.plan")
             .order_by("record_id")]
    for plan_id, group in zip(plans, company.tag_groups.order_by("code"), strict=False):
        TagGroupPair.objects.create(client=client, odoo_plan_id=plan_id, odoo_plan_name=f"plan {plan_id}",
                                    pleo_tag_group_id=str(group.uuid), pleo_tag_group_code=group.code,
                                    pleo_tag_group_name=group.name)
    tag_sync(client=client, triggered_by="demo set-up")
    synced = AnalyticTagMapping.objects.filter(client=client).values_list("pleo_tag_id", flat=True)
    Tag.objects.filter(group__company=company).exclude(uuid__in=list(synced)).update(archived=True)
