"""A purchase tax of the client's Odoo company, as the tax sync and the mappings read it.

Odoo keeps a tax's computation in `amount_type` and `amount`, and whether it is an EU reverse charge in its
invoice repartition lines (a -100 % tax line beside the +100 % one, each on its VAT account); this module
reads them once, so the mappings speak of a rate, a reverse charge and the accounts' codes.
"""
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["PurchaseTax", "purchase_tax_read"]


@dataclass(frozen=True)
class PurchaseTax:
    id: int
    name: str
    description: str  # as text (HTML from 18)
    amount: Decimal  # Odoo's figure: 21 for 21 %, or a fixed amount
    computation: str  # Odoo's amount type: "percent", "fixed", "group", "division"
    price_include: bool
    reverse: bool  # EU reverse charge: its tax lines are +100 % and -100 %
    ingoing_account_code: str | None = None  # reverse charge: the +100 % line's VAT account
    outgoing_account_code: str | None = None  # and the -100 % line's

    @property
    def is_percentage(self) -> bool:
        return self.computation == "percent"

    @property
    def label(self) -> str:
        """"name description", as the pick lists show it (the description alone when it repeats the name)."""
        description = self.description.strip()
        return f"{self.name} {description}".strip() if description and description != self.name else self.name


def purchase_tax_read(row: dict, repartition: dict[int, dict], account_codes: dict[int, str]) -> PurchaseTax:
    """A tax as read (its `invoice_repartition_line_ids` among `repartition`, their accounts' codes)."""
    lines = [repartition[i] for i in row.get("invoice_repartition_line_ids") or [] if i in repartition]
    tax_lines = [line for line in lines if line.get("repartition_type") == "tax"]
    reverse = any((line.get("factor_percent") or 0) < 0 for line in tax_lines)
    ingoing = outgoing = None
    if reverse:
        for line in tax_lines:
            account = line.get("account_id")
            code = account_codes.get(account[0]) if isinstance(account, (list, tuple)) and account else None
            if (line.get("factor_percent") or 0) > 0:
                ingoing = ingoing or code
            else:
                outgoing = outgoing or code
    return PurchaseTax(id=row["id"], name=row["name"], description=row.get("description") or "",
                       amount=Decimal(str(row["amount"])), computation=row["amount_type"],
                       price_include=bool(row.get("price_include")), reverse=reverse,
                       ingoing_account_code=ingoing, outgoing_account_code=outgoing)
