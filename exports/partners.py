"""Partners: the contacts the bookings need, found (employees, suppliers by VAT number or name) or created."""
from exports.job import Booking, Job
from integrations.odoo.books import OdooBooks
from integrations.odoo.errors import OdooPermissionError, OdooUserError, OdooValidationError


def attach(job: Job, bookings: list[Booking]) -> list[Booking]:
    """Find or create the contacts the plans need, in a few calls.

    Employees are found through their Employees record (its work contact); suppliers by VAT number,
    else by name. What is still missing is created in one call; if Odoo refuses that batch, each
    contact is tried alone so one bad VAT number does not block the others.
    """
    needs = {b.plan.partner for b in bookings if b.plan.partner is not None}
    if not needs:
        return bookings
    odoo = job.odoo
    found = _partners_find(odoo, needs)
    missing = sorted({n for n in needs if _partner_lookup(found, n) is None}, key=lambda n: (n.name, n.vat))
    refused = {}
    for batch in ([missing] if missing else []):
        try:
            for need, new_id in zip(batch, odoo.partners_create([_partner_values(n) for n in batch]), strict=True):
                found[_partner_key(need)] = new_id
        except (OdooPermissionError, OdooValidationError, OdooUserError) as exc:
            if isinstance(exc, OdooPermissionError) or len(batch) == 1:
                refused.update({n: exc for n in batch})
            else:
                for need in batch:
                    try:
                        found[_partner_key(need)] = odoo.partners_create([_partner_values(need)])[0]
                    except (OdooPermissionError, OdooValidationError, OdooUserError) as single:
                        refused[need] = single
    kept = []
    for booking in bookings:
        need = booking.plan.partner
        if need is not None and need in refused:
            reason = (f"The contact “{need.name}” is not in Odoo and could not be created: "
                      f"{str(refused[need]).rstrip('.')}. Create it in Odoo (or give the integration user the right "
                      "to create contacts), then retry the record.")
            job.fail(booking.record, reason, "vendor_unknown", {"fix": "vendor", "name": need.name, "vat": need.vat})
            continue
        booking.partner_id = _partner_lookup(found, need) if need else None
        kept.append(booking)
    return kept


def _partners_find(odoo: OdooBooks, needs) -> dict:
    found = {}
    employees = {n.name for n in needs if n.role == "employee"}
    if employees:
        found.update({("name", name): contact for name, contact in odoo.employee_contacts(employees).items()})
    vats = {n.vat for n in needs if n.vat}
    if vats:
        found.update({("vat", vat): partner for vat, partner in odoo.partners_by_vat(vats).items()})
    names = {n.name for n in needs if n.name and _partner_lookup(found, n) is None}
    if names:
        for name, partner in odoo.partners_by_name(names).items():
            found.setdefault(("name", name), partner)
    return found


def _partner_key(need) -> tuple[str, str]:
    return ("vat", need.vat) if need.vat else ("name", need.name)


def _partner_values(need) -> dict:
    return {"name": need.name, "vat": need.vat, "supplier": need.role != "employee"}


def _partner_lookup(found: dict, need) -> int | None:
    if need.vat and ("vat", need.vat) in found:
        return found[("vat", need.vat)]
    return found.get(("name", need.name))
