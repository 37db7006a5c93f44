"""The tax sync: the active purchase taxes of a client's Odoo company pushed to Pleo as tax codes.

Safe to run again at any moment, and a failure half-way leaves the mappings matching Pleo (see mappings.sync_runs).
How each tax becomes a Pleo tax code is mappings.tax_code_rule; the tax codes a firm made in Pleo itself are
kept beside the sync's (mappings.pleo_tax_codes), read in the same call.
"""
from decimal import Decimal

from django.utils import timezone

from integrations.models import Client
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from mappings.choices import SyncKind
from mappings.models import SyncRun, TaxMapping
from mappings.pleo_tax_codes import pleo_tax_codes_store
from mappings.sync_runs import SyncCounts, mapping_store, sync_run
from mappings.tax_code_rule import pleo_tax_code_wanted

__all__ = ["tax_mapping_sync"]


def tax_mapping_sync(*, client: Client, by=None, triggered_by: str = "") -> SyncRun:
    """Push the active purchase taxes of the client's Odoo company to Pleo as tax codes (module docstring)."""
    return sync_run(client, SyncKind.TAX, by, triggered_by, lambda counts: _tax_sync(client, by, counts))


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


def _tax_sync(client: Client, by, counts: SyncCounts) -> None:
    _, books = odoo_company_books_get(client=client)
    pleo_connection, pleo = pleo_company_client_get(client=client)
    company_id = pleo_connection.company_id
    taxes = books.purchase_taxes()

    pleo_codes = pleo.tax_codes(company_id=company_id)
    pleo_tax_codes_store(client=client, codes=pleo_codes, by=by)
    by_id = {c["id"]: c for c in pleo_codes}
    by_code = {c["code"]: c for c in pleo_codes if c.get("code")}
    mappings = {m.odoo_tax_id: m for m in TaxMapping.objects.filter(client=client)}

    creates, updates, archives = [], [], []
    seen = set()
    for tax in taxes:
        seen.add(tax.id)
        wanted = pleo_tax_code_wanted(tax)
        mapping = mappings.get(tax.id)
        current = by_id.get(mapping.pleo_tax_code_id) if mapping and mapping.pleo_tax_code_id else None
        odoo_values = {
            "odoo_tax_name": tax.name[:300],
            "odoo_tax_rate": tax.amount.quantize(Decimal("0.0001")),
            "odoo_amount_type": tax.computation,
        }
        if isinstance(wanted, str):
            counts.skipped += 1
            counts.notes.append(f"{tax.name}: {wanted}")
            if current is not None and not current.get("archived"):
                archives.append((tax.id, current, {**odoo_values, "skip_reason": wanted}))
            else:
                # Never in Pleo, or its code there is archived already: the mapping only records why.
                archived = {"archived": True} if mapping and mapping.pleo_tax_code_id else {}
                mapping_store(TaxMapping, {"client": client, "odoo_tax_id": tax.id},
                               {**odoo_values, "skip_reason": wanted, **archived}, by)
            continue
        current = current or by_code.get(wanted["code"])
        if current is None:
            creates.append((tax.id, wanted, odoo_values))
        elif _pleo_tax_differs(current, wanted, archived=False):
            updates.append((tax.id, current, wanted, odoo_values))
        else:
            # Pleo already holds it: only make sure the mapping says so (also after a lost answer).
            _tax_mapping_record(client, tax.id, current, wanted, odoo_values, by, pushed=False)
    for odoo_tax_id, mapping in mappings.items():
        if odoo_tax_id in seen or not mapping.pleo_tax_code_id or mapping.archived:
            continue
        current = by_id.get(mapping.pleo_tax_code_id)
        if current is None or current.get("archived"):
            # Gone from Pleo or archived there already: only the mapping needs to say so.
            mapping_store(TaxMapping, {"client": client, "odoo_tax_id": odoo_tax_id}, {"archived": True}, by)
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
            ingoing_tax_account=current.get("ingoingTaxAccount"),
            outgoing_tax_account=current.get("outgoingTaxAccount"),
        )
        counts.archived += 1
        mapping_store(TaxMapping, {"client": client, "odoo_tax_id": odoo_tax_id},
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
    mapping_store(TaxMapping, {"client": client, "odoo_tax_id": odoo_tax_id}, values, by)
