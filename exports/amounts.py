"""An item's amounts per line: paid, VAT and net in the wallet and the supplier's currency, with their taxes,
categories and analytic distribution resolved from the booking context."""
from dataclasses import dataclass
from decimal import Decimal

from exports.items import NAME_MAX, BookingRefused, clean_text, money_read
from exports.plans import BookingContext, CategoryTarget, TaxTarget


def category_name(account: dict) -> str:
    name = f"Category “{clean_text(account.get('name') or account.get('id'), NAME_MAX)}”"
    return f"{name} ({clean_text(account['code'], NAME_MAX)})" if account.get("code") else name


def _sign_of(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@dataclass(frozen=True)
class Line:
    """One Pleo line, as magnitudes in the wallet (`w`) and supplier (`s`) currency."""

    pleo: dict
    paid_w: Decimal
    paid_s: Decimal
    vat_w: Decimal  # Pleo's tax.amount; 0 without tax
    vat_s: Decimal
    tax_type: str | None  # Pleo's tax.type
    tax: TaxTarget | None

    @property
    def net_w(self) -> Decimal:
        # Reverse charge: the VAT was not paid, the expense is the amount paid. Otherwise paid minus VAT.
        return self.paid_w if self.tax_type in (None, "reverse") else self.paid_w - self.vat_w

    @property
    def net_s(self) -> Decimal:
        return self.paid_s if self.tax_type in (None, "reverse") else self.paid_s - self.vat_s


@dataclass(frozen=True)
class Amounts:
    wallet_currency: str
    supplier_currency: str
    total_w: Decimal  # magnitude
    total_s: Decimal
    lines: tuple[Line, ...]


def item_amounts(item: dict, context: BookingContext, label: str, *, refund_like: bool, taxed: bool) -> Amounts:
    """Read and check Pleo's figures: currency, sign, zero, and lines adding up to the amount."""
    amount = item.get("amount") or {}
    total_w, wallet = money_read(amount.get("inWalletCurrency"), "amount in the wallet currency",
                                 "amount.inWalletCurrency")
    if wallet != context.company_currency:
        # Multi-currency wallets need one Wallet account per currency and a rate policy: a later feature.
        raise BookingRefused(
            f"This {label} was paid from a {wallet} Wallet but the Odoo company books in "
            f"{context.company_currency}; Wallets in another currency than the company's are not exported yet.",
            "validation_failure",
        )
    if amount.get("inSupplierCurrency"):
        total_s, supplier = money_read(amount["inSupplierCurrency"], "amount in the supplier's currency",
                                   "amount.inSupplierCurrency")
    else:
        total_s, supplier = total_w, wallet
    if total_w == 0:
        raise BookingRefused(f"This {label} has an amount of 0 {wallet}; there is nothing to book.",
                             "validation_failure")
    sign = _sign_of(total_w)
    if sign < 0 and not refund_like:
        raise BookingRefused(
            f"Pleo sent a negative amount ({total_w} {wallet}) for a {label}; only refunds, chargebacks, cashback "
            "and reversed reimbursements or payments may be negative.", "validation_failure")
    raw_lines = item.get("accountingEntryLines") or []
    if not raw_lines:
        raise BookingRefused(f"This {label} has no lines in Pleo (field “accountingEntryLines”); there is nothing "
                             "to book.", "validation_failure")
    lines, sum_w = [], Decimal(0)
    for n, raw in enumerate(raw_lines):
        field = f"accountingEntryLines[{n}]"
        paid_w, line_wallet = money_read((raw.get("lineAmount") or {}).get("inWalletCurrency"), "line amount",
                                     f"{field}.lineAmount.inWalletCurrency")
        if line_wallet != wallet:
            raise BookingRefused(f"A line of this {label} is in {line_wallet}, the expense in {wallet}; "
                                 "the portal does not guess which is right.", "validation_failure")
        sum_w += paid_w
        if _sign_of(paid_w) not in (0, sign):
            raise BookingRefused(f"The lines of this {label} mix positive and negative amounts; "
                                 "the portal does not guess which way the money went.", "validation_failure")
        supplier_money = (raw.get("lineAmount") or {}).get("inSupplierCurrency")
        paid_s = money_read(supplier_money, "line amount", f"{field}.lineAmount.inSupplierCurrency")[0] \
            if supplier_money else paid_w
        tax = raw.get("tax") if taxed else None
        vat_w = vat_s = Decimal(0)
        tax_type = None
        if raw.get("tax") and not taxed:
            vat = money_read((raw["tax"].get("amount") or {}).get("inWalletCurrency"), "VAT amount",
                         f"{field}.tax.amount.inWalletCurrency")[0]
            if vat:
                # A payment or transfer carries no VAT; booking it would count the purchase's VAT twice.
                raise BookingRefused(f"Pleo sent VAT ({vat} {wallet}) on a {label}, which moves money and "
                                     "carries no VAT; the portal does not book it.", "validation_failure")
        if tax:
            tax_type = tax.get("type")
            if tax_type not in ("inclusive", "exclusive", "reverse"):
                raise BookingRefused(f"Pleo sent a tax of unknown type {tax_type!r} (field “{field}.tax.type”).",
                                     "validation_failure")
            vat_w = money_read((tax.get("amount") or {}).get("inWalletCurrency"), "VAT amount",
                           f"{field}.tax.amount.inWalletCurrency")[0]
            supplier_vat = (tax.get("amount") or {}).get("inSupplierCurrency")
            vat_s = money_read(supplier_vat, "VAT amount", f"{field}.tax.amount.inSupplierCurrency")[0] \
                if supplier_vat else vat_w
            if tax_type == "reverse":
                # §13 Q1: for reverse charge netAmount must be the amount paid (VAT due on top, not paid);
                # if Pleo's figures say otherwise the reading is wrong and nothing is booked on a guess.
                net_w = money_read((raw.get("netAmount") or {}).get("inWalletCurrency"), "net amount",
                               f"{field}.netAmount.inWalletCurrency")[0]
                if net_w != paid_w:
                    raise BookingRefused(
                        f"A reverse-charge line of this {label} has line amount {paid_w} {wallet} but net amount "
                        f"{net_w} {wallet}; the portal books reverse charge only when they agree.",
                        "validation_failure")
        lines.append(Line(pleo=raw, paid_w=abs(paid_w), paid_s=abs(paid_s), vat_w=abs(vat_w), vat_s=abs(vat_s),
                           tax_type=tax_type, tax=None))
        if tax_type in ("inclusive", "exclusive") and abs(vat_w) > abs(paid_w):
            raise BookingRefused(f"A line of this {label} has more VAT ({vat_w}) than its amount ({paid_w}).",
                                 "validation_failure")
    if sum_w != total_w:
        raise BookingRefused(
            f"The lines of this {label} add up to {sum_w} {wallet} but its amount is {total_w} {wallet} (fields "
            "“accountingEntryLines[].lineAmount” and “amount”); it was not booked.", "validation_failure")
    return Amounts(wallet, supplier, abs(total_w), abs(total_s), tuple(lines))


def with_taxes(amounts: Amounts, context: BookingContext) -> Amounts:
    """Attach each line's mapped Odoo tax; an unmapped or mismatched tax code refuses the item."""
    lines = []
    for line in amounts.lines:
        tax = line.pleo.get("tax")
        target = None
        if line.tax_type is not None:
            target = context.taxes.get(str(tax.get("id")))
            code = tax.get("code") or tax.get("id")
            fix = {"fix": "tax_code", "code_id": str(tax.get("id")), "code": clean_text(code, NAME_MAX)}
            if target is None:
                rate = Decimal(str(tax.get("rate") or 0)) * 100
                fix["rate"] = f"{rate.normalize():f}"
                raise BookingRefused(
                    f"Pleo tax code “{code}” ({rate.normalize():f} %) is not mapped to an Odoo tax. Choose its "
                    "Odoo tax under Mappings → Tax codes made in Pleo, then retry the record.", "tax_code_unknown",
                    fix=fix)
            if target.reverse != (line.tax_type == "reverse"):
                kind = "is reverse charge" if line.tax_type == "reverse" else "is not reverse charge"
                raise BookingRefused(
                    f"Pleo tax code “{code}” {kind} but its Odoo tax “{target.name}” "
                    f"{'is not' if line.tax_type == 'reverse' else 'is'}. Correct it under Mappings → Tax mappings, "
                    "then retry the record.",
                    "invalid_configuration", fix=fix)
            if target.reverse and target.price_include:
                raise BookingRefused(
                    f"The Odoo tax “{target.name}” is reverse charge with the VAT included in the price, which "
                    "would take VAT out of an amount that holds none; map a VAT-excluded reverse-charge tax.",
                    "invalid_configuration", fix=fix)
        lines.append(Line(line.pleo, line.paid_w, line.paid_s, line.vat_w, line.vat_s, line.tax_type, target))
    return Amounts(amounts.wallet_currency, amounts.supplier_currency, amounts.total_w, amounts.total_s,
                    tuple(lines))


def line_category(line: Line, context: BookingContext, label: str) -> CategoryTarget:
    account = line.pleo.get("account")
    if not account or not account.get("id"):
        raise BookingRefused(f"A line of this {label} has no category in Pleo; choose one in Pleo and export again.",
                             "account_unknown")
    target = context.categories.get(str(account["id"]))
    if target is None or not target.odoo_account_id:
        raise BookingRefused(f"{category_name(account)} is not mapped to an Odoo account. Map it under "
                             "Mappings → Category mappings, then retry the record.", "account_unknown",
                             fix={"fix": "category", "account_id": str(account["id"]),
                                  "name": clean_text(account.get("name") or account["id"], NAME_MAX)})
    return target


def line_distribution(line: Line, context: BookingContext) -> dict[str, float]:
    """Each tag's analytic account at 100 %: Odoo distributions are per plan, each plan summing to 100, and a
    Pleo tag group is paired with one plan, so a line's tags (one per group) are one account per plan.
    Odoo accepts an unknown analytic account id silently (recording 64): refuse it here instead."""
    distribution = {}
    for tag in line.pleo.get("tags") or []:
        code = clean_text(tag.get("code") or tag.get("id"), NAME_MAX)
        name = f"Tag “{code}”" + (f" (group {clean_text(tag['groupCode'], NAME_MAX)})" if tag.get("groupCode") else "")
        fix = {"fix": "tag", "tag_id": str(tag.get("id")), "name": code}
        analytic_id = context.tags.get(str(tag.get("id")))
        if analytic_id is None:
            raise BookingRefused(f"{name} is not mapped to an Odoo analytic account. Pair its tag group under "
                                 "Mappings → Tag group pairs and run the tag sync, then retry the record.",
                                 "tag_unknown", fix=fix)
        if analytic_id not in context.analytic_account_ids:
            raise BookingRefused(f"{name} is mapped to Odoo analytic account {analytic_id}, which does not exist in "
                                 "Odoo (any more); run the tag sync.", "tag_unknown", fix=fix)
        distribution[str(analytic_id)] = 100.0  # a percentage for Odoo's JSON field, not money
    return distribution
