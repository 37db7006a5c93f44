"""The demo a newcomer watches: three client companies wired to the sandbox Pleo and emulated Odoo."""
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from integrations.models import Client
from integrations.services import client_create, odoo_connection_save, pleo_connection_save
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_database_create, emulated_user_groups_set
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create, sandbox_company_create

__all__ = ["DemoSummary", "DEMO_CLIENTS", "demo_seed"]

# name, Odoo database, Odoo version, Pleo wallet currency, number of expenses
DEMO_CLIENTS = [
    ("Bakkerij De Vries BV", "demo-bakkerij", 16, "EUR", 90),
    ("Studio Noord BV", "demo-studio", 17, "EUR", 120),
    ("Kanaal Logistics BV", "demo-logistics", 17, "EUR", 110),
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
        emulated_user_groups_set(database=database, uid=6,
                                 add=["base.group_partner_manager", "account.group_account_manager"])
        # The emulated Odoo company carries the client's name, so the demo reads naturally.
        odoo_company = EmulatedRecord.objects.get(database=database, model="res.company", record_id=1)
        odoo_company.values = {**odoo_company.values, "name": name}
        odoo_company.save(update_fields=["values"])
        company, token = sandbox_company_create(name=name, currency=currency)
        items = export_items_generate(company=company, count=count, seed=index)
        # A few jobs per client, as bookkeepers press Export in Pleo during the month.
        for start in range(0, len(items), 40):
            export_job_create(company=company, items=items[start:start + 40])
        client = client_create(name=name, notes="Demo client wired to the sandboxes.")
        odoo = odoo_connection_save(client=client, api_key=api_key, data={
            "url": f"{base_url}/sandbox/odoo/{database_name}", "database": database_name, "login": DEMO_LOGIN})
        odoo.company_id, odoo.company_name = 1, name
        odoo.save(update_fields=["company_id", "company_name"])
        pleo_connection_save(client=client, api_token=token, data={
            "api_base_url": f"{base_url}/sandbox/pleo", "company_id": str(company.uuid), "company_name": name})
        summary.clients.append(name)
        summary.expenses += len(items)
    users = get_user_model().objects
    if not users.filter(is_superuser=True).exists():
        summary.username, summary.password = "demo", secrets.token_urlsafe(9)
        users.create_superuser(summary.username, "demo@firm.example", summary.password)
    return summary
