"""The booking builder: every Pleo export item type from the sandbox scenarios, in each mode it may be booked
in, becomes an Odoo record that balances, carries Pleo's figures, and refuses what it cannot book."""
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest

from exports.booking import booking_plan
from exports.items import BookingRefused, item_booking_date
from exports.plans import MovePlan, SkipPlan
from integrations.pleo.contract import money_to_decimal
from sandbox.pleo.scenarios import KIND_TYPES
from tests.exports.conftest import ODOO
from tests.exports.odoo_bills import odoo_values

pytestmark = pytest.mark.django_db  # the sandbox items are generated once per session (conftest)

CENT = Decimal("0.01")
ALL_KINDS = sorted(KIND_TYPES)
BILL_KINDS = ["card_purchase", "card_purchase_foreign", "card_purchase_split", "card_purchase_reverse_charge",
              "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice", "refund"]
# The Odoo account the rest of each entry is set against, by item type (the booking rules of issue 5).
COUNTER_BY_TYPE = {
    "card_purchase": "wallet_account_id", "card_invoice": "wallet_account_id", "fee": "wallet_account_id",
    "atm_withdrawal": "wallet_account_id", "personal_spend": "wallet_account_id", "refund": "wallet_account_id",
    "chargeback": "wallet_account_id", "cashback": "wallet_account_id", "wallet_topup": "wallet_account_id",
    "wallet_unload": "wallet_account_id",
    "out_of_pocket": "out_of_pocket_account_id", "mileage": "out_of_pocket_account_id",
    "per_diem": "out_of_pocket_account_id", "direct_reimbursement": "out_of_pocket_account_id",
    "external_reimbursement": "out_of_pocket_account_id",
    "invoice": "payables_account_id", "invoice_payment": "payables_account_id",
}
# Which side the counter account is on: money out of the Wallet / owed to someone is a credit.
COUNTER_IS_DEBIT = {"refund", "chargeback", "cashback", "wallet_topup", "direct_reimbursement",
                    "external_reimbursement", "invoice_payment"}


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _pleo_total(item) -> Decimal:
    return money_to_decimal(item["amount"]["inWalletCurrency"])


def _pleo_vat(item) -> Decimal:
    return sum((money_to_decimal(line["tax"]["amount"]["inWalletCurrency"])
                for line in item["accountingEntryLines"] if line.get("tax")), Decimal(0))


def _lines(plan: MovePlan) -> list[dict]:
    return [command[2] for command in odoo_values(plan)["line_ids"]]


def _odoo_entry_taxes(plan: MovePlan, context) -> Decimal:
    """What Odoo adds to a journal entry, computed independently: rate x line, half-up per line, on the
    line's side; reverse-charge taxes add +VAT and -VAT, i.e. nothing."""
    taxes = {t.odoo_tax_id: t for t in context.taxes.values()}
    added = Decimal(0)
    for line in _lines(plan):
        for tax_id in (line["tax_ids"][0][2] if line.get("tax_ids") else []):
            tax = taxes[tax_id]
            if not tax.reverse:
                balance = line["debit"] - line["credit"]
                added += _round(abs(balance) * tax.rate) * (1 if balance > 0 else -1)
    return added


def _odoo_bill(plan: MovePlan, context) -> tuple[Decimal, Decimal]:
    """(total, VAT) Odoo computes for a bill (recordings 88-93): per line, VAT excluded on top of the price,
    VAT included taken out of it."""
    taxes = {t.odoo_tax_id: t for t in context.taxes.values()}
    total = vat = Decimal(0)
    for command in odoo_values(plan)["invoice_line_ids"]:
        line = command[2]
        price = line["price_unit"] * line["quantity"]
        [(_, _, tax_ids)] = line["tax_ids"]  # always sent, empty without a tax (Odoo 16 would add its default)
        tax = taxes[tax_ids[0]] if tax_ids else None
        if tax is None or tax.reverse:
            total += price
        elif tax.price_include:
            vat += price - _round(price / (1 + tax.rate))
            total += price
        else:
            vat += _round(price * tax.rate)
            total += price + _round(price * tax.rate)
    return total, vat


def _refusal(item, context) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        booking_plan(item, context)
    return caught.value


def _set_cents(money: dict, cents: int) -> None:
    money["value"] = cents


# ------------------------------------------------------------------------------------- journal entries


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("n", [0, 1])
def test_every_kind_books_as_a_journal_entry_that_balances_at_create_and_carries_pleos_figures(
    booking_fixtures, kind, n
):
    item = booking_fixtures.item(kind, n)
    context = booking_fixtures.context
    plan = booking_plan(item, context)

    assert plan.kind == "entry" and odoo_values(plan)["journal_id"] == ODOO["card_journal_id"]
    lines = _lines(plan)
    odoo_tax = _odoo_entry_taxes(plan, context)
    assert sum(line["debit"] - line["credit"] for line in lines) + odoo_tax == 0  # Odoo accepts it as is
    assert abs(odoo_tax) == plan.odoo_vat_estimate
    assert plan.expected_total == _pleo_total(item)
    assert plan.expected_vat == _pleo_vat(item)
    counter_id = ODOO[COUNTER_BY_TYPE[item["type"]]]
    assert plan.counter_account_id == counter_id
    counter = [line for line in lines if line["account_id"] == counter_id]
    assert len(counter) == 1
    assert (counter[0]["debit"] > 0) == (item["type"] in COUNTER_IS_DEBIT)
    # Once the pipeline sets the tax lines to Pleo's VAT, the counter line must equal what Pleo charged.
    others = [line for line in lines if line is not counter[0]]
    non_reverse_vat = sum((money_to_decimal(line["tax"]["amount"]["inWalletCurrency"])
                           for line in item["accountingEntryLines"]
                           if line.get("tax") and line["tax"]["type"] != "reverse"), Decimal(0))
    assert abs(sum(line["debit"] - line["credit"] for line in others)) + non_reverse_vat == plan.expected_total
    assert odoo_values(plan)["date"] == item["date"][:10]
    assert plan.reference in odoo_values(plan)["ref"] and plan.post is True


@pytest.mark.parametrize("kind", ["card_purchase", "card_purchase_split", "out_of_pocket", "mileage", "refund"])
def test_each_tag_of_a_line_puts_its_analytic_account_in_the_lines_distribution(booking_fixtures, kind):
    context = booking_fixtures.context
    for n in range(3):
        item = booking_fixtures.item(kind, n)
        plan = booking_plan(item, context)
        expense_lines = [line for line in _lines(plan) if line["account_id"] != plan.counter_account_id]
        for pleo_line, odoo_line in zip(item["accountingEntryLines"], expense_lines, strict=True):
            wanted = {str(context.tags[tag["id"]]): 100.0 for tag in pleo_line["tags"] or []}
            assert odoo_line.get("analytic_distribution", {}) == wanted


def test_split_expense_books_one_line_per_split_with_its_own_account_and_tax(booking_fixtures):
    item = booking_fixtures.item("card_purchase_split")
    context = booking_fixtures.context
    plan = booking_plan(item, context)
    expense_lines = [line for line in _lines(plan) if line["account_id"] != plan.counter_account_id]
    assert [line["account_id"] for line in expense_lines] == [
        context.categories[line["account"]["id"]].odoo_account_id for line in item["accountingEntryLines"]]
    assert [line["tax_ids"] for line in expense_lines] == [
        [(6, 0, [context.taxes[line["tax"]["id"]].odoo_tax_id])] for line in item["accountingEntryLines"]]


@pytest.mark.parametrize("kind", ["card_purchase_foreign", "card_purchase_reverse_charge"])
def test_foreign_purchase_lines_carry_the_purchase_currency_and_signed_amount_currency(booking_fixtures, kind):
    item = booking_fixtures.item(kind)
    plan = booking_plan(item, booking_fixtures.context)
    currency = item["amount"]["inSupplierCurrency"]["currency"]
    assert currency != "EUR"
    for line in _lines(plan):
        assert line["currency_id"] == booking_fixtures.context.currency_ids[currency]
        assert (line["amount_currency"] > 0) == (line["debit"] > 0)  # debit positive, credit negative
    counter = next(line for line in _lines(plan) if line["account_id"] == plan.counter_account_id)
    if kind == "card_purchase_reverse_charge":
        assert -counter["amount_currency"] == money_to_decimal(item["amount"]["inSupplierCurrency"])
        assert counter["credit"] == plan.expected_total  # reverse charge: the Wallet pays the amount, no VAT


def test_domestic_purchase_lines_carry_no_currency(booking_fixtures):
    plan = booking_plan(booking_fixtures.item("card_purchase"), booking_fixtures.context)
    assert all("currency_id" not in line and "amount_currency" not in line for line in _lines(plan))


def test_reverse_charge_books_the_amount_paid_with_the_reverse_tax(booking_fixtures):
    item = booking_fixtures.item("card_purchase_reverse_charge")
    plan = booking_plan(item, booking_fixtures.context)
    expense = next(line for line in _lines(plan) if line["account_id"] != plan.counter_account_id)
    pleo_line = item["accountingEntryLines"][0]
    assert expense["debit"] == money_to_decimal(pleo_line["netAmount"]["inWalletCurrency"]) == plan.expected_total
    assert booking_fixtures.context.taxes[pleo_line["tax"]["id"]].reverse
    assert plan.odoo_vat_estimate == 0 and plan.expected_vat > 0


def test_an_inclusive_10_00_with_21_percent_balances_at_9_99_and_expects_pleos_1_74(booking_fixtures):
    # Recordings 81-86: Odoo computes 1.73 on 8.26; the entry is created at 9.99 and corrected to 10.00/1.74.
    item = booking_fixtures.item("card_purchase")
    context = booking_fixtures.context
    line = item["accountingEntryLines"][0]
    standard = next(tax_id for tax_id, t in booking_fixtures.tax_codes.items()
                    if t["type"] == "inclusive" and t["rate"] == Decimal("0.21"))
    for money in (item["amount"], line["lineAmount"], line["netAmount"]):
        money["inWalletCurrency"]["value"] = money["inSupplierCurrency"]["value"] = 1000
    line["tax"].update(id=standard, rate=0.21, type="inclusive")
    line["tax"]["amount"]["inWalletCurrency"]["value"] = line["tax"]["amount"]["inSupplierCurrency"]["value"] = 174
    plan = booking_plan(item, context)
    expense, counter = _lines(plan)
    assert expense["debit"] == Decimal("8.26")
    assert plan.odoo_vat_estimate == Decimal("1.73") and counter["credit"] == Decimal("9.99")
    assert plan.expected_vat == Decimal("1.74") and plan.expected_total == Decimal("10.00")


def test_a_line_without_tax_is_booked_without_tax_even_when_the_category_has_a_default_tax(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    line = item["accountingEntryLines"][0]
    line["tax"] = None
    line["netAmount"] = line["lineAmount"]
    categories = {key: replace(target, default_tax_id=999)
                  for key, target in booking_fixtures.context.categories.items()}
    plan = booking_plan(item, booking_fixtures.with_context(categories=categories))
    assert "tax_ids" not in _lines(plan)[0]
    assert _lines(plan)[0]["debit"] == plan.expected_total and plan.expected_vat == 0


def test_a_vat_included_odoo_tax_on_a_journal_entry_still_gets_the_net_because_odoo_ignores_price_include_there(
    booking_fixtures,
):
    item = booking_fixtures.item("card_purchase")
    taxes = {k: replace(t, price_include=True) if not t.reverse else t
             for k, t in booking_fixtures.context.taxes.items()}
    plan = booking_plan(item, booking_fixtures.with_context(taxes=taxes))
    pleo_line = item["accountingEntryLines"][0]
    net = _pleo_total(item) - money_to_decimal(pleo_line["tax"]["amount"]["inWalletCurrency"])
    assert _lines(plan)[0]["debit"] == net


# ------------------------------------------------------------------------------------------ vendor bills


@pytest.mark.parametrize("price_include", [False, True], ids=["vat_excluded_tax", "vat_included_tax"])
@pytest.mark.parametrize("kind", BILL_KINDS)
def test_purchase_kinds_book_as_vendor_bills_with_odoos_total_at_pleos_amount(booking_fixtures, kind, price_include):
    taxes = {k: replace(t, price_include=price_include and not t.reverse)
             for k, t in booking_fixtures.context.taxes.items()}
    context = booking_fixtures.with_context(kind_modes={t: "vendor_bill" for t in booking_fixtures.context.kind_modes},
                                            taxes=taxes)
    for n in range(2):
        item = booking_fixtures.item(kind, n)
        plan = booking_plan(item, context)
        assert plan.kind == ("in_refund" if item["type"] == "refund" else "in_invoice")
        assert odoo_values(plan)["journal_id"] == ODOO["bill_journal_id"]
        assert plan.counter_account_id == ODOO["payables_account_id"]
        assert "line_ids" not in odoo_values(plan) and "partner_id" not in odoo_values(plan)
        total, vat = _odoo_bill(plan, context)
        foreign = item["amount"]["inSupplierCurrency"]["currency"] != "EUR"
        assert foreign == bool(plan.line_amounts)
        # Odoo rounds per line like Pleo; a cent per line is the most its arithmetic can differ by.
        assert abs(total - (plan.supplier_total if foreign else plan.expected_total)) <= CENT * len(
            item["accountingEntryLines"])
        if not foreign:  # else Odoo's VAT is at Odoo's rate, which the plan cannot know
            assert vat == plan.odoo_vat_estimate
        assert plan.expected_total == _pleo_total(item) and plan.expected_vat == _pleo_vat(item)
        if item["type"] in ("out_of_pocket", "mileage", "per_diem"):
            assert plan.partner.role == "employee" and plan.partner.name == item["user"]["name"]
            assert plan.payment is None  # owed to the employee, paid later
        elif item["type"] == "invoice":
            assert plan.partner.name == item["vendor"]["name"] and plan.payment is None
        else:
            assert plan.partner.name in (item["supplier"]["name"], (item.get("vendor") or {}).get("name"))
            assert plan.payment.amount == plan.expected_total
            assert plan.payment.journal_id == ODOO["card_journal_id"]
            assert plan.payment.wallet_account_id == ODOO["wallet_account_id"]


def test_a_vendor_bill_for_a_foreign_purchase_is_in_the_suppliers_currency_with_pleos_company_amounts(
    booking_fixtures,
):
    item = booking_fixtures.item("card_purchase_foreign")
    context = booking_fixtures.with_context(kind_modes={"card_purchase": "vendor_bill"})
    plan = booking_plan(item, context)
    currency = item["amount"]["inSupplierCurrency"]["currency"]
    assert odoo_values(plan)["currency_id"] == context.currency_ids[currency] != context.currency_ids["EUR"]
    prices = [command[2]["price_unit"] for command in odoo_values(plan)["invoice_line_ids"]]
    nets_s, nets_w = [], []
    for line in item["accountingEntryLines"]:
        vat = line["tax"]["amount"] if line["tax"] and line["tax"]["type"] != "reverse" else None
        nets_s.append(money_to_decimal(line["lineAmount"]["inSupplierCurrency"])
                      - (money_to_decimal(vat["inSupplierCurrency"]) if vat else 0))
        nets_w.append(money_to_decimal(line["lineAmount"]["inWalletCurrency"])
                      - (money_to_decimal(vat["inWalletCurrency"]) if vat else 0))
    assert prices == nets_s  # Pleo's prices in the supplier's currency (VAT-excluded taxes)
    assert list(plan.line_amounts) == nets_w  # and the company amounts Pleo settled, set after the create
    assert (plan.supplier_total, plan.supplier_currency) == (money_to_decimal(item["amount"]["inSupplierCurrency"]),
                                                             currency)
    # Paid from the Wallet in the bill's currency, so payment and bill reconcile without an exchange difference.
    assert plan.payment.currency_id == odoo_values(plan)["currency_id"]
    assert (plan.payment.amount, plan.payment.amount_currency) == (plan.expected_total, plan.supplier_total)


def test_a_foreign_bill_in_a_currency_odoo_has_not_activated_is_refused_naming_it(booking_fixtures):
    item = booking_fixtures.item("card_purchase_foreign")
    currency = item["amount"]["inSupplierCurrency"]["currency"]
    context = booking_fixtures.with_context(kind_modes={"card_purchase": "vendor_bill"},
                                            currency_ids={"EUR": 126})
    refusal = _refusal(item, context)
    assert f"The currency {currency} is not active in Odoo" in str(refusal)


def test_a_supplier_without_name_or_vat_cannot_get_a_vendor_bill(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    item["supplier"].update(name=None, taxIdentifier=None)
    refused = _refusal(item, booking_fixtures.with_context(kind_modes={"card_purchase": "vendor_bill"}))
    assert refused.failure_reason_type == "vendor_unknown"
    assert "neither a name nor a VAT number" in str(refused)


def test_a_supplier_known_only_by_vat_number_is_looked_up_by_it(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    item["supplier"].update(name=None, taxIdentifier="NL859123456B01")
    plan = booking_plan(item, booking_fixtures.with_context(kind_modes={"card_purchase": "vendor_bill"}))
    assert plan.partner.vat == "NL859123456B01" and plan.partner.name == "NL859123456B01"


def test_a_fee_cannot_be_booked_as_a_vendor_bill(booking_fixtures):
    refused = _refusal(booking_fixtures.item("fee"), booking_fixtures.with_context(kind_modes={"fee": "vendor_bill"}))
    assert refused.failure_reason_type == "invalid_configuration"


def test_wallet_transfers_are_journal_entries_whatever_the_mode(booking_fixtures):
    context = booking_fixtures.with_context(kind_modes={"wallet_topup": "vendor_bill", "wallet_unload": "follow_pleo"})
    assert booking_plan(booking_fixtures.item("wallet_topup"), context).kind == "entry"
    assert booking_plan(booking_fixtures.item("wallet_unload"), context).kind == "entry"


# ------------------------------------------------------------------------------------------ follow Pleo


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_follow_pleo_books_accounts_payable_purchases_as_bills_and_everything_else_as_entries(booking_fixtures, kind):
    context = booking_fixtures.with_context(kind_modes={t: "follow_pleo" for t in booking_fixtures.context.kind_modes})
    item = booking_fixtures.item(kind)
    method = (item.get("bookkeeping") or {}).get("method")
    plan = booking_plan(item, context)
    bill = method == "accounts_payable" and item["type"] not in ("invoice_payment", "wallet_topup", "wallet_unload")
    assert plan.kind == ("in_invoice" if bill else "entry")


def test_follow_pleo_books_an_item_without_bookkeeping_method_as_a_journal_entry(booking_fixtures):
    item = booking_fixtures.item("card_purchase_reverse_charge")
    item["bookkeeping"] = None  # the docs' "legacy support"
    context = booking_fixtures.with_context(kind_modes={"card_purchase": "follow_pleo"})
    assert booking_plan(item, context).kind == "entry"


# -------------------------------------------------------------------------------------- skips and modes


def test_ignored_wallet_top_ups_are_skipped_not_failed(booking_fixtures):
    context = booking_fixtures.with_context(kind_modes={"wallet_topup": "disabled"})
    plan = booking_plan(booking_fixtures.item("wallet_topup"), context)
    assert isinstance(plan, SkipPlan) and "bank statement" in plan.reason


def test_a_type_the_client_has_not_enabled_is_refused(booking_fixtures):
    context = booking_fixtures.with_context(kind_modes={"card_purchase": "disabled"})
    refused = _refusal(booking_fixtures.item("card_purchase"), context)
    assert refused.failure_reason_type == "missing_configuration" and "not enabled" in str(refused)


def test_a_type_missing_from_the_booking_settings_is_refused_not_guessed(booking_fixtures):
    context = booking_fixtures.with_context(kind_modes={"card_purchase": "journal_entry"})
    refused = _refusal(booking_fixtures.item("fee"), context)
    assert refused.failure_reason_type == "missing_configuration"


def test_a_type_unknown_to_the_contract_is_refused(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    item["type"] = "crypto_purchase"
    assert _refusal(item, booking_fixtures.context).failure_reason_type == "validation_failure"


@pytest.mark.parametrize("post_state, post", [("draft", False), ("posted", True)])
def test_the_post_state_follows_the_booking_settings(booking_fixtures, post_state, post):
    context = booking_fixtures.with_context(post_states={"card_purchase": post_state})
    assert booking_plan(booking_fixtures.item("card_purchase"), context).post is post


def test_receipts_go_with_the_plan_only_when_the_client_exports_them(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    item["files"] = [{"url": "https://files.example/r.pdf?sig=1", "type": "application/pdf", "size": 1234}]
    assert booking_plan(item, booking_fixtures.context).files == tuple(item["files"])
    assert booking_plan(item, booking_fixtures.with_context(receipts={"card_purchase": False})).files == ()


# ---------------------------------------------------------------------------------------------- refusals


def test_a_line_without_category_is_refused_as_account_unknown(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    item["accountingEntryLines"][0]["account"] = None
    refused = _refusal(item, booking_fixtures.context)
    assert refused.failure_reason_type == "account_unknown" and "no category" in str(refused)


def test_an_unmapped_category_is_refused_naming_it(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    account = item["accountingEntryLines"][0]["account"]
    account.update(name="Meals", code="7200")
    categories = {k: v for k, v in booking_fixtures.context.categories.items() if k != account["id"]}
    refused = _refusal(item, booking_fixtures.with_context(categories=categories))
    assert refused.failure_reason_type == "account_unknown"
    assert str(refused) == ("Category “Meals” (7200) is not mapped to an Odoo account. Map it under "
                            "Mappings → Category mappings, then retry the record.")


def test_an_unmapped_tax_code_is_refused_naming_it(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    tax = item["accountingEntryLines"][0]["tax"]
    refused = _refusal(item, booking_fixtures.with_context(taxes={}))
    assert refused.failure_reason_type == "tax_code_unknown" and f"“{tax['code']}”" in str(refused)


def test_a_reverse_charge_code_mapped_to_an_ordinary_odoo_tax_is_refused(booking_fixtures):
    item = booking_fixtures.item("card_purchase_reverse_charge")
    taxes = {k: replace(t, reverse=False) for k, t in booking_fixtures.context.taxes.items()}
    assert _refusal(item, booking_fixtures.with_context(taxes=taxes)).failure_reason_type == "invalid_configuration"


def _tagged_item(booking_fixtures):
    return next(item for n in range(3) for item in [booking_fixtures.item("card_purchase_split", n)]
                if any(line["tags"] for line in item["accountingEntryLines"]))


def test_an_unmapped_tag_is_refused_naming_it(booking_fixtures):
    item = _tagged_item(booking_fixtures)
    refused = _refusal(item, booking_fixtures.with_context(tags={}))
    assert refused.failure_reason_type == "tag_unknown" and "is not mapped" in str(refused)


def test_a_tag_mapped_to_an_analytic_account_odoo_no_longer_has_is_refused(booking_fixtures):
    item = _tagged_item(booking_fixtures)
    refused = _refusal(item, booking_fixtures.with_context(analytic_account_ids=frozenset()))
    assert refused.failure_reason_type == "tag_unknown" and "does not exist" in str(refused)


def test_a_zero_amount_is_refused(booking_fixtures):
    item = booking_fixtures.item("fee")
    for money in (item["amount"], item["accountingEntryLines"][0]["lineAmount"]):
        _set_cents(money["inWalletCurrency"], 0)
    assert _refusal(item, booking_fixtures.context).failure_reason_type == "validation_failure"


def test_a_negative_amount_on_a_purchase_is_refused(booking_fixtures):
    item = booking_fixtures.item("fee")
    for money in (item["amount"], item["accountingEntryLines"][0]["lineAmount"]):
        money["inWalletCurrency"]["value"] *= -1
    refused = _refusal(item, booking_fixtures.context)
    assert refused.failure_reason_type == "validation_failure" and "negative" in str(refused)


def test_a_negative_refund_is_booked_like_a_positive_one_because_the_type_gives_the_direction(booking_fixtures):
    item = booking_fixtures.item("chargeback")
    positive = booking_plan(item, booking_fixtures.context)
    for money in (item["amount"], item["accountingEntryLines"][0]["lineAmount"],
                  item["accountingEntryLines"][0]["netAmount"]):
        money["inWalletCurrency"]["value"] *= -1
        money["inSupplierCurrency"]["value"] *= -1
    assert booking_plan(item, booking_fixtures.context).draft == positive.draft


def test_lines_that_do_not_add_up_to_the_amount_are_refused_showing_both_figures(booking_fixtures):
    item = booking_fixtures.item("card_purchase_split")
    item["amount"]["inWalletCurrency"]["value"] += 1
    refused = _refusal(item, booking_fixtures.context)
    total = money_to_decimal(item["amount"]["inWalletCurrency"])
    assert refused.failure_reason_type == "validation_failure"
    assert f"{total - CENT} EUR" in str(refused) and f"{total} EUR" in str(refused)


@pytest.mark.parametrize("setting, words, kind", [
    ("wallet_account_id", "Set the Pleo Wallet account in the booking settings", "card_purchase"),
    ("out_of_pocket_account_id", "Set the out-of-pocket account in the booking settings", "out_of_pocket"),
    ("reimbursement_contra_account_id", "Set the contra account", "external_reimbursement"),
    ("topup_bank_account_id", "Set the bank account top-ups come from", "wallet_topup"),
    ("card_journal_id", "Set the card-expense journal", "fee"),
    ("payables_account_id", "Set the payables account", "invoice_payment"),
])
def test_a_missing_account_or_journal_is_refused_naming_the_setting(booking_fixtures, setting, words, kind):
    refused = _refusal(booking_fixtures.item(kind), booking_fixtures.with_context(**{setting: None}))
    assert refused.failure_reason_type == "missing_configuration" and str(refused).startswith(words)


def test_a_missing_vendor_bill_journal_is_refused_naming_it(booking_fixtures):
    context = booking_fixtures.with_context(bill_journal_id=None, kind_modes={"invoice": "vendor_bill"})
    refused = _refusal(booking_fixtures.item("invoice"), context)
    assert refused.failure_reason_type == "missing_configuration" and "vendor-bill journal" in str(refused)


def test_a_purchase_in_a_currency_odoo_has_not_active_is_refused_naming_it(booking_fixtures):
    item = booking_fixtures.item("card_purchase_foreign")
    currency = item["amount"]["inSupplierCurrency"]["currency"]
    refused = _refusal(item, booking_fixtures.with_context(currency_ids={"EUR": 126}))
    assert refused.failure_reason_type == "validation_failure" and f"currency {currency} is not active" in str(refused)


def test_a_wallet_in_another_currency_than_the_odoo_company_is_refused(booking_fixtures):
    refused = _refusal(booking_fixtures.item("card_purchase"), booking_fixtures.with_context(company_currency="DKK"))
    assert refused.failure_reason_type == "validation_failure" and "EUR Wallet" in str(refused)


def test_an_out_of_pocket_expense_without_employee_is_refused(booking_fixtures):
    item = booking_fixtures.item("out_of_pocket")
    item["user"] = None
    assert _refusal(item, booking_fixtures.context).failure_reason_type == "vendor_unknown"


def test_vat_on_a_payment_is_refused_rather_than_counted_twice(booking_fixtures):
    item = booking_fixtures.item("invoice_payment")
    item["accountingEntryLines"][0]["tax"] = {"id": "x", "type": "inclusive", "rate": 0.21,
                                              "amount": {"inWalletCurrency": {"currency": "EUR", "value": 100}}}
    assert _refusal(item, booking_fixtures.context).failure_reason_type == "validation_failure"


# --------------------------------------------------------------------------------- determinism and dates


def test_the_same_item_always_gives_the_same_plan(booking_fixtures):
    for kind in ALL_KINDS:
        assert booking_plan(booking_fixtures.item(kind), booking_fixtures.context) == \
            booking_plan(booking_fixtures.item(kind), booking_fixtures.context)


def test_each_accounting_entry_gets_its_own_reference_holding_pleos_ids(booking_fixtures):
    items = [item for items in booking_fixtures.items_by_kind.values() for item in items]
    plans = [booking_plan(item, booking_fixtures.context) for item in items]
    assert len({plan.reference for plan in plans}) == len({item["accountingEntryId"] for item in items})
    for item, plan in zip(items, plans, strict=True):
        assert item["accountingEntryId"] in plan.reference
        assert item["additionalInformation"]["reconciliationId"] in plan.reference
        assert odoo_values(plan)["ref"] == plan.reference


def test_the_move_date_is_the_date_pleo_wrote_without_time_zone_conversion():
    assert str(item_booking_date({"date": "2025-03-04T00:00:00Z"})) == "2025-03-04"
    assert str(item_booking_date({"date": "2025-03-04T23:30:00-05:00"})) == "2025-03-04"
    assert item_booking_date({"date": "yesterday"}) is None


def test_an_item_without_a_readable_date_is_refused(booking_fixtures):
    item = booking_fixtures.item("fee")
    item["date"] = None
    assert _refusal(item, booking_fixtures.context).failure_reason_type == "validation_failure"


def test_the_summary_names_date_supplier_amount_and_accounts(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    plan = booking_plan(item, booking_fixtures.context)
    category = booking_fixtures.context.categories[item["accountingEntryLines"][0]["account"]["id"]]
    for part in (item["date"][:10], item["supplier"]["name"], str(_pleo_total(item)), category.label, "Pleo Wallet"):
        assert part in plan.summary
