"""The tax sync: the active purchase taxes of a client's Odoo company pushed to Pleo as tax codes.

Safe to run again at any moment, and a failure half-way leaves the mappings matching Pleo (see mappings.sync_runs).

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
from decimal import Decimal

from django.utils import timezone
from django.utils.html import strip_tags

from integrations.models import Client
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from mappings.choices import PleoTaxType, SyncKind
from mappings.models import SyncRun, TaxMapping
from mappings.sync_runs import SyncCounts, mapping_store, sync_run

__all__ = ["tax_mapping_sync", "pleo_tax_code_wanted"]


def tax_mapping_sync(*, client: Client, by=None, triggered_by: str = "") -> SyncRun:
    """Push the active purchase taxes of the client's Odoo company to Pleo as tax codes (module docstring)."""
    return sync_run(client, SyncKind.TAX, by, triggered_by, lambda counts: _tax_sync(client, by, counts))


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


def _tax_sync(client: Client, by, counts: SyncCounts) -> None:
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
                mapping_store(TaxMapping, {"client": client, "odoo_tax_id": tax["id"]},
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
