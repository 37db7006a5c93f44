"""How an Odoo purchase tax becomes a Pleo tax code (pleo-api README §6.2, §8): the tax sync's rule, also used to
offer the Odoo taxes that fit a tax code made in Pleo.

- Only percentage taxes: Pleo has a rate and nothing else, so fixed, group and division taxes are
  skipped with the reason recorded on the mapping and the run.
- rate = Odoo's percentage / 100 as Decimal (21.0 -> 0.21).
- type: a card or out-of-pocket amount in Pleo is always what was paid, tax included, whatever Odoo's
  `price_include` says about how Odoo computes from a unit price; Pleo calls that "inclusive". An EU
  reverse charge (integrations.odoo.taxes) becomes "reverse", with the accounts of its +100 % and
  -100 % lines as ingoing and outgoing tax accounts. "exclusive" is never sent:
  Pleo's spec says exclusive tax codes are not supported.
- code = "odoo-tax-<id>": stable across renames, and how a lost mapping is found again.
"""
import re
from decimal import Decimal

from django.utils.html import strip_tags

from integrations.odoo.taxes import PurchaseTax
from mappings.choices import PleoTaxType

__all__ = ["pleo_tax_code_wanted", "is_sync_code"]

_SYNC_CODE = re.compile(r"^odoo-tax-\d+$")


def is_sync_code(code: str) -> bool:
    """Whether a Pleo tax code's code is of the form the tax sync gives its own ("odoo-tax-<Odoo tax id>")."""
    return bool(_SYNC_CODE.match(code or ""))


def pleo_tax_code_wanted(tax: PurchaseTax) -> dict | str:
    """The Pleo tax code an Odoo tax should be, or the reason Pleo cannot express it."""
    if not tax.is_percentage:
        return (f"Odoo amount type “{tax.computation}”: Pleo tax codes are a percentage only, "
                "so this tax is not offered in Pleo.")
    name = tax.name
    description = strip_tags(tax.description).strip()
    if description and description != name:
        name = f"{name} – {description}"
    return {
        "code": f"odoo-tax-{tax.id}",
        "name": name[:255],
        "rate": (tax.amount / 100).quantize(Decimal("0.000001")).normalize(),
        "type": PleoTaxType.REVERSE if tax.reverse else PleoTaxType.INCLUSIVE,
        "ingoing_tax_account": tax.ingoing_account_code,
        "outgoing_tax_account": tax.outgoing_account_code,
    }
