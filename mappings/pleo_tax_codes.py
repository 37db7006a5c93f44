"""Tax codes the client made in Pleo itself: read from Pleo, and the Odoo purchase tax a bookkeeper chooses for each.

The tax sync makes one Pleo tax code per Odoo purchase tax (mappings.tax_sync); a firm's Pleo often holds codes of
its own too (a 0 % code, say). Their expenses need an Odoo tax all the same, and only a person can choose it.
"""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.formats import rate as rate_words
from integrations.models import Client
from integrations.selectors import pleo_company_client_get
from integrations.services import model_update
from mappings.choices import PleoTaxType
from mappings.models import PleoTaxCode, TaxMapping
from mappings.selectors import odoo_purchase_taxes_for_pleo
from mappings.sync_runs import active_client_required
from mappings.tax_code_rule import is_sync_code

__all__ = ["pleo_tax_codes_store", "pleo_tax_codes_refresh", "pleo_tax_code_map"]



def pleo_tax_codes_refresh(*, client: Client, by=None) -> int:
    """Read the client's tax codes from Pleo now and keep a row for each one the tax sync did not make.

    Returns how many rows were created or changed.
    """
    active_client_required(client)
    connection, pleo = pleo_company_client_get(client=client)
    return pleo_tax_codes_store(client=client, codes=pleo.tax_codes(company_id=connection.company_id), by=by)


def pleo_tax_codes_store(*, client: Client, codes: list[dict], by=None) -> int:
    """Keep one PleoTaxCode per tax code of `codes` (all of the company's, archived ones too) the sync did not make.

    New codes get a row without an Odoo tax; renamed or re-rated ones are updated; codes gone from Pleo are marked
    archived (an expense still to export may carry one); a code the tax sync has since taken over loses its row,
    because the sync's mapping is the one the export uses. Returns how many rows were created or changed.
    """
    made_by_sync = set(TaxMapping.objects.filter(client=client).exclude(pleo_tax_code_id="")
                       .values_list("pleo_tax_code_id", flat=True))
    now = timezone.now()
    changed, seen = 0, set()
    for code in codes:
        code_id = str(code["id"])
        # A sync-style code without its mapping is one whose answer was lost: the next sync run takes it back.
        if code_id in made_by_sync or is_sync_code(code.get("code")):
            continue
        seen.add(code_id)
        values = {
            "pleo_tax_code": (code.get("code") or "")[:255],
            "pleo_tax_name": (code.get("name") or "")[:255],
            "pleo_rate": _fraction(code.get("rate")),
            "pleo_type": (code.get("type") or "")[:20],
            "archived": bool(code.get("archived")),
        }
        with transaction.atomic():
            row = PleoTaxCode.objects.select_for_update().filter(client=client, pleo_tax_code_id=code_id).first()
            if row is None:
                row = PleoTaxCode(client=client, pleo_tax_code_id=code_id, last_seen_at=now, **values)
                row._history_user = by
                row.full_clean()
                row.save()
                changed += 1
                continue
            row._history_user = by
            changed += model_update(instance=row, fields=list(values), data=values)[1]
            # last_seen_at alone is not a change worth a history row.
            PleoTaxCode.objects.filter(pk=row.pk).update(last_seen_at=now)
    for row in PleoTaxCode.objects.filter(client=client).exclude(pleo_tax_code_id__in=seen):
        row._history_user = by
        if row.pleo_tax_code_id in made_by_sync or is_sync_code(row.pleo_tax_code):
            row.delete()
            changed += 1
        elif not row.archived:
            model_update(instance=row, fields=["archived"], data={"archived": True})
            changed += 1
    return changed


def _fraction(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))


def pleo_tax_code_map(*, tax_code: PleoTaxCode, odoo_tax_id: int | None, by=None) -> PleoTaxCode:
    """Book the expenses carrying this Pleo tax code with the given Odoo purchase tax (None: with none, refused).

    The tax must be an active percentage purchase tax of the client's Odoo company, read live, of the code's rate,
    and reverse charge exactly when the Pleo code is. Raises ValidationError saying which rule it breaks.
    """
    name = ""
    if odoo_tax_id is not None:
        client = tax_code.client
        taxes = {t.id: t for t in odoo_purchase_taxes_for_pleo(client=client, refresh=True)}
        tax = taxes.get(int(odoo_tax_id))
        if tax is None:
            raise ValidationError(f"{client}'s Odoo company has no active purchase tax with id {odoo_tax_id} that Pleo "
                                  "can express (a percentage). Refresh the list and choose again.")
        code = tax_code.pleo_tax_code or tax_code.pleo_tax_name
        if tax_code.pleo_rate is not None and tax.rate != tax_code.pleo_rate:
            raise ValidationError(
                f"The Pleo tax code “{code}” is {rate_words(tax_code.pleo_rate * 100)} and the Odoo tax “{tax.label}” "
                f"is {rate_words(tax.rate * 100)}: choose an Odoo tax of {rate_words(tax_code.pleo_rate * 100)}.")
        reverse = tax_code.pleo_type == PleoTaxType.REVERSE
        if tax.reverse != reverse:
            raise ValidationError(
                f"The Pleo tax code “{code}” {'is' if reverse else 'is not'} reverse charge and the Odoo tax "
                f"“{tax.label}” {'is not' if reverse else 'is'}: choose "
                f"{'a reverse-charge' if reverse else 'an ordinary'} Odoo tax.")
        name = tax.label[:300]
    tax_code._history_user = by
    model_update(instance=tax_code, fields=["odoo_tax_id", "odoo_tax_name"],
                 data={"odoo_tax_id": None if odoo_tax_id is None else int(odoo_tax_id), "odoo_tax_name": name})
    return tax_code
