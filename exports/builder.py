"""The plan builder: one item's journal entry or vendor bill, line by line, as a draft Odoo creates."""
from decimal import Decimal
from typing import Literal

from exports.amounts import line_category, line_distribution
from exports.item_types import (
    CARD_PAID_BILL_TYPES,
    CATEGORY_TYPES,
    EMPLOYEE_TYPES,
    SETTING_NAMES,
    WALLET_TYPES,
    required_setting,
)
from exports.items import (
    LABEL_MAX,
    NAME_MAX,
    NARRATION_MAX,
    BookingRefused,
    bookable_date,
    clean_text,
    currency_round,
    item_reference,
)
from exports.plans import MovePlan, PartnerNeed, PaymentPlan
from integrations.odoo.drafts import BillLine, EntryLine, MoveDraft, MoveKind
from integrations.pleo.contract import invoice_payment_invoice_number


class PlanBuilder:
    """Builds one plan; a class only so the many facts of one item travel together."""

    def __init__(self, item, context, item_type, label, direction, booked_on, amounts, currency_id):
        self.item, self.context, self.item_type, self.label = item, context, item_type, label
        self.direction, self.booked_on, self.amounts, self.currency_id = direction, booked_on, amounts, currency_id
        self.company_currency = context.company_currency
        self.zero = currency_round(Decimal(0), self.company_currency)

    # -- shared facts

    def setting(self, name: str) -> int:
        """The booking setting `name` (a BookingSettings field) the plan books on; its refusal names the setting,
        so the record links to it."""
        try:
            return required_setting(self.context, name, self.label)
        except BookingRefused as exc:
            raise BookingRefused(str(exc), exc.failure_reason_type, fix={"fix": "setting", "setting": name}) from None

    def description(self) -> str:
        # §6.4 data mapping: description <- supplier.name + user.name + note.
        parts = [(self.item.get("supplier") or {}).get("name") or (self.item.get("vendor") or {}).get("name"),
                 (self.item.get("user") or {}).get("name"), self.item.get("note")]
        text = " · ".join(clean_text(p, LABEL_MAX) for p in parts if p and clean_text(p, LABEL_MAX))
        return clean_text(text, LABEL_MAX) or f"Pleo {self.label}"  # Odoo needs a label on every line

    def narration(self) -> str:
        info = self.item.get("additionalInformation") or {}
        parts = []
        if info.get("attendees"):
            parts.append("Attendees: " + ", ".join(map(str, info["attendees"])))  # §6.4: attendees in the comment
        if info.get("reconciledEntries"):
            parts.append("Settles Pleo entries " + ", ".join(map(str, info["reconciledEntries"])))
        invoice = info.get("invoiceInformation") or {}
        if invoice.get("invoiceNumber"):
            parts.append(f"Invoice {invoice['invoiceNumber']}")
        link = ((self.item.get("_links") or {}).get("web") or {}).get("exportItem")
        if link:
            parts.append(f"Pleo: {link}")
        return "\n".join(clean_text(part, NARRATION_MAX) for part in parts)[:NARRATION_MAX]

    def vat(self) -> Decimal:
        return currency_round(sum((line.vat_w for line in self.amounts.lines), Decimal(0)), self.company_currency)

    def post(self) -> bool:
        return self.context.post_states.get(self.item_type) == "posted"  # unknown -> draft: a person looks first

    def files(self) -> tuple[dict, ...]:
        if not self.context.receipts.get(self.item_type):
            return ()
        return tuple(dict(f) for f in (self.item.get("files") or []) if f is not None)

    def supplier_need(self, role_if_no_vendor: Literal["supplier", "vendor"] = "supplier") -> PartnerNeed | None:
        vendor, supplier = self.item.get("vendor") or {}, self.item.get("supplier") or {}
        if clean_text(vendor.get("name") or "", NAME_MAX):
            vat = vendor.get("taxRegistrationNumber") or supplier.get("taxIdentifier") or ""
            return PartnerNeed("vendor", clean_text(vendor["name"], NAME_MAX), clean_text(vat, NAME_MAX),
                               clean_text(vendor.get("country") or supplier.get("country") or "", NAME_MAX),
                               clean_text(vendor.get("code") or supplier.get("code") or "", NAME_MAX))
        name = clean_text(supplier.get("name") or "", NAME_MAX)
        vat = clean_text(supplier.get("taxIdentifier") or "", NAME_MAX)
        if not name and not vat:
            return None
        # A supplier known only by its VAT number is still findable; its VAT number stands in for the name.
        return PartnerNeed(role_if_no_vendor, name or vat, vat, clean_text(supplier.get("country") or "", NAME_MAX),
                           clean_text(supplier.get("code") or "", NAME_MAX))

    def employee_need(self) -> PartnerNeed:
        user = self.item.get("user") or {}
        name = clean_text(user.get("name") or "", NAME_MAX)
        if not name:
            raise BookingRefused(f"Pleo sent this {self.label} without the employee it concerns; the portal cannot "
                                 "say whom the company owes.", "vendor_unknown")
        return PartnerNeed("employee", name, code=clean_text(user.get("code") or "", NAME_MAX))

    def head(self) -> str:
        supplier = (self.item.get("supplier") or {}).get("name") or (self.item.get("vendor") or {}).get("name") \
            or (self.item.get("user") or {}).get("name") or ""
        text = f"{self.booked_on.isoformat()} {self.label}"
        text += f" · {clean_text(supplier, NAME_MAX)}" if supplier else ""
        text += f" · {self.amounts.total_w} {self.company_currency}"
        if self.amounts.supplier_currency != self.company_currency:
            text += f" ({self.amounts.total_s} {self.amounts.supplier_currency})"
        vat = self.vat()
        return text + (f", VAT {vat}" if vat else "")

    def supplier_figures(self) -> dict:
        return {"supplier_total": currency_round(self.amounts.total_s, self.amounts.supplier_currency),
                "supplier_currency": self.amounts.supplier_currency}

    # -- journal entries

    def entry(self) -> MovePlan:
        item_type = self.item_type
        journal_id = self.setting("card_journal_id")
        partner = None
        if item_type in CATEGORY_TYPES:
            if item_type in WALLET_TYPES:
                counter_setting = "wallet_account_id"
            elif item_type in EMPLOYEE_TYPES:
                counter_setting, partner = "out_of_pocket_account_id", self.employee_need()
            else:  # an invoice as an entry: a debt to the supplier on the payables account
                counter_setting = "payables_account_id"
                partner = self._vendor_or_refuse()
            counter_id = self.setting(counter_setting)
            lines, vat_estimate, debit_lines, counter_amount, counter_currency = self._category_lines()
            # out: expenses debit, counter credit; in (refund, chargeback, cashback): the reverse.
            expense_debit = self.direction == "out"
            entry_lines = [self._line(*spec, debit=expense_debit) for spec in lines]
            entry_lines.append(self._line(self._counter_name(), counter_id, counter_amount, counter_currency,
                                          debit=not expense_debit))
            expense_words = ", ".join(dict.fromkeys(debit_lines))
            counter_words = f"{SETTING_NAMES[counter_setting].removeprefix('the ')} {counter_amount}"
            counter_debit = not expense_debit
            debit_words, credit_words = ((expense_words, counter_words) if expense_debit
                                         else (counter_words, expense_words))
        else:
            # Moves between configured accounts: one line each side for the item total.
            if item_type == "direct_reimbursement":
                base, counter = "wallet_account_id", "out_of_pocket_account_id"
                partner = self.employee_need()
            elif item_type == "external_reimbursement":
                base, counter = "reimbursement_contra_account_id", "out_of_pocket_account_id"
                partner = self.employee_need()
            elif item_type == "invoice_payment":
                base, counter = "wallet_account_id", "payables_account_id"
                partner = self._vendor_or_refuse()
            else:  # wallet_topup / wallet_unload: the Wallet against the client's bank account
                base, counter = "topup_bank_account_id", "wallet_account_id"
            counter_id = self.setting(counter)
            base_id = self.setting(base)
            # "out": the company paid the employee or supplier (counter debited, money side credited), or moved
            # money out of the Wallet to the bank (unload: bank debited, Wallet credited). "in": the reverse.
            if item_type in ("wallet_topup", "wallet_unload"):
                counter_debit = self.direction == "in"
            else:
                counter_debit = self.direction == "out"
            total, total_s = currency_round(self.amounts.total_w, self.company_currency), self.amounts.total_s
            entry_lines = [
                self._line(self._counter_name(), counter_id, total, total_s, debit=counter_debit),
                self._line(self._counter_name(), base_id, total, total_s, debit=not counter_debit),
            ]
            vat_estimate, counter_amount = self.zero, total
            base_words, counter_words = SETTING_NAMES[base], SETTING_NAMES[counter]
            debit_words, credit_words = (counter_words, base_words) if counter_debit else (base_words, counter_words)
            debit_words, credit_words = debit_words.removeprefix("the "), credit_words.removeprefix("the ")
        number = invoice_payment_invoice_number(self.item) if item_type == "invoice_payment" else None
        # The invoice number, so a bill exported after its payment finds it (see invoice_payment_invoice_number).
        draft = MoveDraft(MoveKind.JOURNAL_ENTRY, journal_id, self.booked_on, item_reference(self.item),
                          tuple(entry_lines), currency_id=self.currency_id,
                          payment_reference=clean_text(number, NAME_MAX) if number else "", narration=self.narration())
        partner_words = f" ({partner.name})" if partner else ""
        summary = (f"{self.head()} · journal entry, {'posted' if self.post() else 'draft'}: debit {debit_words}"
                   f"{partner_words if counter_debit else ''}; credit {credit_words}"
                   f"{'' if counter_debit else partner_words}")
        return MovePlan(
            accounting_entry_id=str(self.item["accountingEntryId"]), item_type=item_type,
            draft=draft, partner=partner,
            counter_account_id=counter_id, expected_total=currency_round(self.amounts.total_w, self.company_currency),
            expected_vat=self.vat(), odoo_vat_estimate=vat_estimate, post=self.post(), payment=None,
            files=self.files(), summary=summary, **self.supplier_figures(),
        )

    def _category_lines(self):
        """(line specs, Odoo's VAT, account labels, counter amount, counter amount in supplier currency)."""
        specs, labels = [], []
        vat_estimate, vat_estimate_s = Decimal(0), Decimal(0)
        net_total, net_total_s = Decimal(0), Decimal(0)
        description = self.description()
        several = len(self.amounts.lines) > 1
        for line in self.amounts.lines:
            category = line_category(line, self.context, self.label)
            distribution = line_distribution(line, self.context)
            name = clean_text(description + (f" ({(line.pleo.get('account') or {}).get('name')})" if several else ""),
                              LABEL_MAX)
            tax_ids = (line.tax.odoo_tax_id,) if line.tax else ()
            net = currency_round(line.net_w, self.company_currency)
            if line.tax and not line.tax.reverse:
                # Odoo ignores price_include on journal entries (handle_price_include only for invoices) and adds
                # rate x line, rounded half-up per line: so the line holds the net and the VAT comes on top.
                vat_estimate += currency_round(net * line.tax.rate, self.company_currency)
                vat_estimate_s += currency_round(line.net_s * line.tax.rate, self.amounts.supplier_currency)
            # Reverse charge: Odoo adds +VAT and -VAT; they cancel, the counter is the amount paid.
            net_total += net
            net_total_s += line.net_s
            specs.append((name, category.odoo_account_id, net, line.net_s, tax_ids, distribution))
            labels.append(category.label or str(category.odoo_account_id))
        vat_estimate = currency_round(vat_estimate, self.company_currency)
        return (specs, vat_estimate, labels, currency_round(net_total + vat_estimate, self.company_currency),
                net_total_s + vat_estimate_s)

    def _line(self, name, account_id, amount, amount_s, tax_ids=(), distribution=None, *, debit: bool) -> EntryLine:
        foreign = self.currency_id is not None  # then every line carries the purchase currency beside
        return EntryLine(name, account_id, amount, debit, tax_ids=tuple(tax_ids), analytic=distribution or None,
                         amount_in_currency=currency_round(amount_s, self.amounts.supplier_currency) if foreign
                         else None, currency_id=self.currency_id)

    def _counter_name(self) -> str:
        description = self.description()
        return description if description == f"Pleo {self.label}" else clean_text(f"Pleo {self.label} · {description}",
                                                                                    LABEL_MAX)

    def _vendor_or_refuse(self) -> PartnerNeed:
        need = self.supplier_need("vendor")
        if need is None:
            raise BookingRefused(f"This {self.label} names no supplier (neither a name nor a VAT number); the portal "
                                 "cannot tell whom it concerns.", "vendor_unknown")
        return need

    # -- vendor bills

    def bill(self) -> MovePlan:
        context, item_type = self.context, self.item_type
        journal_id = self.setting("bill_journal_id")
        # The payable line Odoo adds is the counter line; the pipeline checks Odoo's total on it.
        payables_id = self.setting("payables_account_id")
        if item_type in EMPLOYEE_TYPES:
            partner = self.employee_need()  # the employee is owed the money; the bill stays open for payroll
        else:
            partner = self.supplier_need()
            if partner is None:
                raise BookingRefused(f"The supplier of this {self.label} has neither a name nor a VAT number in Pleo; "
                                     "a vendor bill needs one.", "vendor_unknown")
        company, supplier = self.company_currency, self.amounts.supplier_currency
        foreign = supplier != company
        payment = None
        if item_type in CARD_PAID_BILL_TYPES:
            payment = PaymentPlan(
                journal_id=self.setting("card_journal_id"), payables_account_id=payables_id,
                wallet_account_id=self.setting("wallet_account_id"),
                amount=currency_round(self.amounts.total_w, company), currency_id=self.currency_id,
                amount_currency=currency_round(self.amounts.total_s, supplier) if foreign else None)
        description, several = self.description(), len(self.amounts.lines) > 1
        invoice_lines, labels, line_amounts, vat_estimate = [], [], [], Decimal(0)
        for line in self.amounts.lines:
            category = line_category(line, context, self.label)
            distribution = line_distribution(line, context)
            name = clean_text(description + (f" ({(line.pleo.get('account') or {}).get('name')})" if several else ""),
                              LABEL_MAX)
            tax = line.tax
            # Prices in the bill's currency; the VAT estimate in the company's (Odoo's rate is not known here,
            # and the pipeline sets every company amount to Pleo's anyway).
            if tax is not None and tax.price_include:
                price_unit = currency_round(line.paid_s, supplier)  # Odoo takes the VAT out of the gross
                gross = currency_round(line.paid_w, company)
                vat_estimate += gross - currency_round(gross / (1 + tax.rate), company)
            else:
                price_unit = currency_round(line.net_s, supplier)
                if tax is not None and not tax.reverse:
                    vat_estimate += currency_round(currency_round(line.net_w, company) * tax.rate, company)
            line_amounts.append(currency_round(line.net_w, company))
            invoice_lines.append(BillLine(name, category.odoo_account_id, price_unit,
                                          (tax.odoo_tax_id,) if tax is not None else (), distribution or None))
            labels.append(category.label or str(category.odoo_account_id))
        # A refund of a purchase is a vendor credit note; amounts stay positive, Odoo turns the signs.
        kind = MoveKind.VENDOR_CREDIT_NOTE if self.direction == "in" else MoveKind.VENDOR_BILL
        invoice = (self.item.get("additionalInformation") or {}).get("invoiceInformation") or {}
        invoice_date = bookable_date(invoice.get("invoiceDate"), "the supplier's invoice",
                                      "additionalInformation.invoiceInformation.invoiceDate") or self.booked_on
        due = bookable_date(invoice.get("dueDate"), "the invoice's due date",
                             "additionalInformation.invoiceInformation.dueDate")
        # `ref` is the exactly-once key, so the supplier's invoice number goes to the payment reference. A bill
        # paid from the Wallet has no due date: it is paid.
        draft = MoveDraft(kind, journal_id, self.booked_on, item_reference(self.item), tuple(invoice_lines),
                          currency_id=self.currency_id if foreign else None, invoice_date=invoice_date,
                          due_date=due if payment is None else None,
                          payment_reference=clean_text(invoice.get("invoiceNumber") or "", NAME_MAX),
                          narration=self.narration())
        paid = " paid from the Pleo Wallet" if payment else ""
        summary = (f"{self.head()} · {kind.words} for {partner.name}{paid}: {', '.join(dict.fromkeys(labels))}"
                   f"{' posted' if self.post() else ' draft'}")
        return MovePlan(
            accounting_entry_id=str(self.item["accountingEntryId"]), item_type=item_type,
            draft=draft, partner=partner,
            counter_account_id=payables_id, expected_total=currency_round(self.amounts.total_w, self.company_currency),
            expected_vat=self.vat(), odoo_vat_estimate=currency_round(vat_estimate, company),
            post=self.post(), payment=payment, files=self.files(), summary=summary, **self.supplier_figures(),
            line_amounts=tuple(line_amounts) if foreign else (),
        )
