"""One test per Odoo rule the emulator enforces, each with a request real Odoo rejects or handles specially."""
__all__ = []

import datetime
import json

import pytest

from sandbox.odoo.models import EmulatedFault, FaultKind
from sandbox.odoo.services import (
    emulated_api_key,
    emulated_company_lock_date_set,
    emulated_database_create,
    emulated_fault_add,
    emulated_user_groups_set,
)

pytestmark = pytest.mark.django_db

IDS = {  # the recorded ids that differ per version
    16: {"expense": 167, "tax21": 15, "tax21_inc": 16, "payable": 83, "suspense": 348, "eur": 1, "usd": 2},
    17: {"expense": 166, "tax21": 11, "tax21_inc": 12, "payable": 82, "suspense": 349, "eur": 126, "usd": 1},
}
A1 = {"context": {"allowed_company_ids": [1]}}


@pytest.fixture
def odoo(request, odoo16, odoo17):
    return odoo16 if request.param == 16 else odoo17


def both(test):
    return pytest.mark.parametrize("odoo", [16, 17], indirect=True, ids=["odoo16", "odoo17"])(test)


@pytest.fixture
def call(client):
    def execute(database, uid, model, method, args, kwargs=None, *, key=None):
        body = {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {
            "service": "object", "method": "execute_kw",
            "args": [database.name, uid, key or emulated_api_key(database=database, uid=uid), model, method, args,
                     kwargs or {}]}}
        response = client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200
        return response.json()

    return execute


def ok(answer):
    assert "error" not in answer, answer["error"]["data"]["message"]
    return answer.get("result")


def error_name(answer):
    return answer["error"]["data"]["name"]


def wallet(call, odoo):
    emulated_user_groups_set(database=odoo, uid=6, add=["account.group_account_manager"])
    return ok(call(odoo, 6, "account.account", "create", [{
        "code": "1099", "name": "Pleo Wallet", "account_type": "asset_current", "reconcile": True}], A1))


def entry(ids, wallet_id, *, debit, credit, tax=None, date="2026-11-02", ref=None, journal_id=3):
    line = {"name": "Expense", "account_id": ids["expense"], "debit": debit}
    if tax:
        line["tax_ids"] = [[6, 0, [tax]]]
    vals = {"move_type": "entry", "journal_id": journal_id, "date": date,
            "line_ids": [[0, 0, line], [0, 0, {"name": "Pleo", "account_id": wallet_id, "credit": credit}]]}
    if ref:
        vals["ref"] = ref
    return vals


def lines_of(call, odoo, move_id, uid=6):
    return ok(call(odoo, uid, "account.move.line", "search_read", [[["move_id", "=", move_id]]], {
        "fields": ["name", "account_id", "debit", "credit", "tax_line_id", "display_type", "partner_id"]}))


def bill_vals(ids, *, price_unit, tax_ids=None, **values):
    line = {"name": "Bread", "account_id": ids["expense"], "quantity": 1, "price_unit": price_unit}
    if tax_ids is not None:
        line["tax_ids"] = [[6, 0, tax_ids]]
    return {"move_type": "in_invoice", "partner_id": 3, "invoice_date": "2026-11-20", **values,
            "invoice_line_ids": [[0, 0, line]]}


def bill_lines(call, odoo, move_id):
    return ok(call(odoo, 6, "account.move.line", "search_read", [[["move_id", "=", move_id]]], {
        "fields": ["display_type", "debit", "credit", "amount_currency", "tax_ids"]}))


def line_values(call, odoo, move_id, *fields):
    return [tuple(row[field] for field in fields) for row in bill_lines(call, odoo, move_id)]


# --- balancing, taxes, rounding ------------------------------------------------------------------
@both
def test_unbalanced_entry_without_tax_is_refused_at_create_and_still_uses_up_its_id(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    refused = call(odoo, 6, "account.move", "create", [entry(ids, wallet_id, debit=10, credit=9)], A1)
    assert error_name(refused) == "odoo.exceptions.UserError"
    assert "is not balanced" in refused["error"]["data"]["message"]
    assert ok(call(odoo, 6, "account.move", "create", [entry(ids, wallet_id, debit=5, credit=5)], A1)) == 2


@both
def test_a_line_with_a_tax_gets_its_tax_line_rounded_half_up_per_line(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    move_id = ok(call(odoo, 6, "account.move", "create", [
        entry(ids, wallet_id, debit=2.75, credit=3.33, tax=ids["tax21"])], A1))
    tax_lines = [line for line in lines_of(call, odoo, move_id) if line["display_type"] == "tax"]
    assert [(line["debit"], line["tax_line_id"][0]) for line in tax_lines] == [(0.58, ids["tax21"])]


@both
def test_a_taxed_entry_that_does_not_balance_gets_an_automatic_balancing_line_on_the_suspense_account(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    move_id = ok(call(odoo, 6, "account.move", "create", [
        entry(ids, wallet_id, debit=8.26, credit=10.0, tax=ids["tax21"])], A1))
    lines = lines_of(call, odoo, move_id)
    assert [(line["name"], line["account_id"][0], line["debit"]) for line in lines[2:]] == [
        (lines[2]["name"], lines[2]["account_id"][0], 1.73),
        ("Automatic Balancing Line", ids["suspense"], 0.01),
    ]


@both
def test_writing_the_tax_and_wallet_lines_keeps_the_written_vat_and_balances_the_entry(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    move_id = ok(call(odoo, 6, "account.move", "create", [
        entry(ids, wallet_id, debit=8.26, credit=9.99, tax=ids["tax21"])], A1))
    expense, pleo, tax = (line["id"] for line in lines_of(call, odoo, move_id))
    ok(call(odoo, 6, "account.move", "write", [[move_id], {
        "line_ids": [[1, tax, {"debit": 1.74}], [1, pleo, {"credit": 10.0}]]}], A1))
    assert ok(call(odoo, 6, "account.move", "action_post", [[move_id]])) is False
    moves = ok(call(odoo, 6, "account.move", "read", [[move_id]], {"fields": ["state", "amount_total"]}))
    assert moves == [{"id": move_id, "state": "posted", "amount_total": 10.0}]
    assert [line["debit"] for line in lines_of(call, odoo, move_id)] == [8.26, 0.0, 1.74]


@both
def test_changing_a_base_line_recomputes_its_tax_line(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    move_id = ok(call(odoo, 6, "account.move", "create", [
        entry(ids, wallet_id, debit=100, credit=121, tax=ids["tax21"])], A1))
    expense, pleo, tax = (line["id"] for line in lines_of(call, odoo, move_id))
    ok(call(odoo, 6, "account.move", "write", [[move_id], {
        "line_ids": [[1, expense, {"debit": 200}], [1, pleo, {"credit": 242}]]}], A1))
    assert [line["debit"] for line in lines_of(call, odoo, move_id)] == [200.0, 0.0, 42.0]


# --- vendor bills -----------------------------------------------------------------------------------
@both
def test_a_bill_with_a_price_included_tax_splits_the_price_and_adds_tax_and_payable_lines(call, odoo):
    ids = IDS[odoo.version]
    move_id = ok(call(odoo, 6, "account.move", "create", [{
        "move_type": "in_invoice", "partner_id": 3, "invoice_date": "2026-11-02", "invoice_line_ids": [
            [0, 0, {"name": "Bread", "account_id": ids["expense"], "price_unit": 10.0,
                    "tax_ids": [[6, 0, [ids["tax21_inc"]]]]}]]}], A1))
    bill = ok(call(odoo, 6, "account.move", "read", [[move_id]], {"fields": [
        "name", "journal_id", "amount_untaxed", "amount_tax", "amount_total", "amount_residual", "payment_state"]}))[0]
    assert bill["name"] == "BILL/2026/11/0001" and bill["journal_id"][0] == 2
    assert (bill["amount_untaxed"], bill["amount_tax"], bill["amount_total"]) == (8.26, 1.74, 10.0)
    assert (bill["amount_residual"], bill["payment_state"]) == (10.0, "not_paid")
    payable = lines_of(call, odoo, move_id)[-1]
    assert (payable["display_type"], payable["account_id"][0], payable["credit"]) == (
        "payment_term", ids["payable"], 10.0)


@both
def test_a_bill_without_vendor_is_created_but_cannot_be_posted(call, odoo):
    ids = IDS[odoo.version]
    move_id = ok(call(odoo, 6, "account.move", "create", [{
        "move_type": "in_invoice", "journal_id": 2, "invoice_date": "2026-11-04",
        "invoice_line_ids": [[0, 0, {"name": "x", "account_id": ids["expense"], "price_unit": 1}]]}], A1))
    refused = call(odoo, 6, "account.move", "action_post", [[move_id]])
    assert error_name(refused) == "odoo.exceptions.UserError"
    assert "'Vendor' is required" in refused["error"]["data"]["message"]


@both
def test_reconciling_the_payable_lines_marks_the_bill_paid_and_answers_like_the_version(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    bill = ok(call(odoo, 6, "account.move", "create", [{
        "move_type": "in_invoice", "partner_id": 3, "invoice_date": "2026-11-02", "invoice_line_ids": [
            [0, 0, {"name": "Taxi", "account_id": ids["expense"], "price_unit": 50.0, "tax_ids": [[6, 0, []]]}]]}], A1))
    payment = ok(call(odoo, 6, "account.move", "create", [{"move_type": "entry", "journal_id": 3, "date": "2026-11-02",
        "line_ids": [[0, 0, {"name": "Pay", "account_id": ids["payable"], "debit": 50.0, "partner_id": 3}],
                     [0, 0, {"name": "Pleo", "account_id": wallet_id, "credit": 50.0}]]}], A1))
    ok(call(odoo, 6, "account.move", "action_post", [[bill, payment]]))
    payable_lines = ok(call(odoo, 6, "account.move.line", "search", [[
        ["move_id", "in", [bill, payment]], ["account_id", "=", ids["payable"]]]]))
    answer = call(odoo, 6, "account.move.line", "reconcile", [payable_lines])
    if odoo.version == 17:
        assert answer == {"jsonrpc": "2.0", "id": 7}
    else:
        assert answer["result"]["full_reconcile"] == "account.full.reconcile(1,)"
    state = ok(call(odoo, 6, "account.move", "read", [[bill]], {"fields": ["payment_state", "amount_residual"]}))
    assert state == [{"id": bill, "payment_state": "paid", "amount_residual": 0.0}]


# v16/107-111: the company's default purchase tax reaches a line sent without tax_ids in 16 only.
@pytest.mark.parametrize("odoo,defaulted", [(16, True), (17, False)], indirect=["odoo"], ids=["odoo16", "odoo17"])
def test_only_odoo_16_puts_the_default_purchase_tax_on_a_bill_line_sent_without_tax_ids(call, odoo, defaulted):
    ids = IDS[odoo.version]
    company = ok(call(odoo, 2, "res.company", "read", [[1], ["account_purchase_tax_id"]]))
    assert company[0]["account_purchase_tax_id"][0] == ids["tax21"]
    without = ok(call(odoo, 6, "account.move", "create", [bill_vals(ids, price_unit=50.0)], A1))
    taxed = [("product", [ids["tax21"]], 50.0), ("tax", [], 10.5), ("payment_term", [], -60.5)]
    untaxed = [("product", [], 50.0), ("payment_term", [], -50.0)]
    fields = ("display_type", "tax_ids", "amount_currency")
    assert line_values(call, odoo, without, *fields) == (taxed if defaulted else untaxed)
    empty = ok(call(odoo, 6, "account.move", "create", [bill_vals(ids, price_unit=50.0, tax_ids=[])], A1))
    assert line_values(call, odoo, empty, *fields) == untaxed


@both  # v17/95-100
def test_writing_a_bill_tax_line_amount_currency_moves_its_company_amount_and_the_payables_line(call, odoo):
    ids = IDS[odoo.version]
    move_id = ok(call(odoo, 6, "account.move", "create", [bill_vals(ids, price_unit=8.26, tax_ids=[ids["tax21"]])], A1))
    tax_line = bill_lines(call, odoo, move_id)[1]
    assert line_values(call, odoo, move_id, "debit", "credit") == [(8.26, 0.0), (1.73, 0.0), (0.0, 9.99)]
    ok(call(odoo, 6, "account.move", "write", [[move_id], {
        "line_ids": [[1, tax_line["id"], {"amount_currency": 1.74}]]}], A1))
    assert line_values(call, odoo, move_id, "debit", "credit", "amount_currency") == [
        (8.26, 0.0, 8.26), (1.74, 0.0, 1.74), (0.0, 10.0, -10.0)]
    assert ok(call(odoo, 6, "account.move", "action_post", [[move_id]])) is False
    totals = ok(call(odoo, 6, "account.move", "read", [
        [move_id], ["amount_tax", "amount_total", "amount_total_signed"]]))
    assert totals == [{"id": move_id, "amount_tax": 1.74, "amount_total": 10.0, "amount_total_signed": -10.0}]


@both  # v17/101-106
def test_writing_a_foreign_bill_line_company_amount_keeps_its_currency_amount_and_moves_the_payables_line(call, odoo):
    ids = IDS[odoo.version]
    move_id = ok(call(odoo, 6, "account.move", "create", [
        bill_vals(ids, price_unit=100.0, tax_ids=[], currency_id=ids["usd"])], A1))
    product_line = bill_lines(call, odoo, move_id)[0]
    fields = ("debit", "credit", "amount_currency")
    assert line_values(call, odoo, move_id, *fields) == [(92.59, 0.0, 100.0), (0.0, 92.59, -100.0)]  # Odoo's rate
    ok(call(odoo, 6, "account.move", "write", [
        [move_id], {"line_ids": [[1, product_line["id"], {"balance": 93.10}]]}], A1))
    assert line_values(call, odoo, move_id, *fields) == [(93.1, 0.0, 100.0), (0.0, 93.1, -100.0)]
    ok(call(odoo, 6, "account.move", "action_post", [[move_id]]))
    totals = ok(call(odoo, 6, "account.move", "read", [
        [move_id], ["amount_total", "amount_total_signed", "amount_residual"]]))
    assert totals == [{"id": move_id, "amount_total": 100.0, "amount_total_signed": -93.1, "amount_residual": 100.0}]


# --- names, states ------------------------------------------------------------------------------------
@both
def test_only_the_first_draft_of_a_period_has_a_number_and_posting_numbers_the_rest_by_move_date(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    first, second, october = ok(call(odoo, 6, "account.move", "create", [[
        entry(ids, wallet_id, debit=1, credit=1), entry(ids, wallet_id, debit=2, credit=2),
        entry(ids, wallet_id, debit=3, credit=3, date="2026-10-05")]], A1))
    ok(call(odoo, 6, "account.move", "action_post", [[second, first]]))
    names = ok(call(odoo, 6, "account.move", "read", [[first, second, october]], {"fields": ["name"]}))
    assert [row["name"] for row in names] == ["MISC/2026/11/0001", "MISC/2026/11/0002", "MISC/2026/10/0001"]


@both
def test_button_draft_answers_without_result_and_only_drafts_can_be_deleted(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    move_id = ok(call(odoo, 6, "account.move", "create", [entry(ids, wallet_id, debit=1, credit=1)], A1))
    ok(call(odoo, 6, "account.move", "action_post", [[move_id]]))
    refused = call(odoo, 6, "account.move", "unlink", [[move_id]])
    assert error_name(refused) == "odoo.exceptions.UserError"
    expected = "You cannot delete an item" if odoo.version == 16 else "You can't delete a posted journal item"
    assert refused["error"]["data"]["message"].startswith(expected)
    assert call(odoo, 6, "account.move", "button_draft", [[move_id]]) == {"jsonrpc": "2.0", "id": 7}
    assert ok(call(odoo, 6, "account.move", "unlink", [[move_id]])) is True
    assert ok(call(odoo, 6, "account.move", "read", [[move_id]], {"fields": ["name"]})) == []


@both  # v17/114-117
def test_a_posted_entry_reset_to_draft_and_cancelled_keeps_its_number_and_is_still_found_by_its_ref(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    move_id = ok(call(odoo, 6, "account.move", "create", [entry(ids, wallet_id, debit=1, credit=1, ref="PLEO-1")], A1))
    ok(call(odoo, 6, "account.move", "action_post", [[move_id]]))
    assert call(odoo, 6, "account.move", "button_draft", [[move_id]]) == {"jsonrpc": "2.0", "id": 7}
    assert call(odoo, 6, "account.move", "button_cancel", [[move_id]]) == {"jsonrpc": "2.0", "id": 7}
    found = ok(call(odoo, 6, "account.move", "search_read", [[["ref", "=", "PLEO-1"]], ["name", "state"]]))
    assert found == [{"id": move_id, "name": "MISC/2026/11/0001", "state": "cancel"}]


@both
def test_posting_into_a_locked_period_moves_the_date_to_the_first_open_day(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    emulated_company_lock_date_set(database=odoo, company_id=1, fiscalyear_lock_date=datetime.date(2026, 10, 31))
    move_id = ok(call(odoo, 6, "account.move", "create", [
        entry(ids, wallet_id, debit=5, credit=5, date="2026-10-15")], A1))
    ok(call(odoo, 6, "account.move", "action_post", [[move_id]]))
    moved = ok(call(odoo, 6, "account.move", "read", [[move_id]], {"fields": ["date", "state", "name"]}))
    # Odoo lands on today (the test database's 2026-11-28) when the first open day is in today's month.
    assert moved == [{"id": move_id, "date": "2026-11-28", "state": "posted", "name": "MISC/2026/11/0001"}]


def test_posting_into_a_locked_period_of_an_earlier_month_lands_on_that_months_last_day(call, db):
    odoo = emulated_database_create(name="later", version=17, today=datetime.date(2027, 2, 10))
    wallet_id = wallet(call, odoo)
    emulated_company_lock_date_set(database=odoo, company_id=1, fiscalyear_lock_date=datetime.date(2026, 10, 31))
    move_id = ok(call(odoo, 6, "account.move", "create", [
        entry(IDS[17], wallet_id, debit=5, credit=5, date="2026-10-15")], A1))
    ok(call(odoo, 6, "account.move", "action_post", [[move_id]]))
    assert ok(call(odoo, 6, "account.move", "read", [[move_id]], {"fields": ["date"]}))[0]["date"] == "2026-11-30"


# --- rights ---------------------------------------------------------------------------------------------
@both
def test_a_user_without_accounting_rights_cannot_create_journal_entries(call, odoo):
    refused = call(odoo, 7, "account.move", "create", [entry(IDS[odoo.version], 1, debit=1, credit=1)])
    assert error_name(refused) == "odoo.exceptions.AccessError"
    assert "Invoicing/Billing" in refused["error"]["data"]["message"]


@both
def test_creating_an_account_needs_the_adviser_group(call, odoo):
    vals = [{"code": "1099", "name": "Pleo Wallet", "account_type": "asset_current"}]
    assert error_name(call(odoo, 6, "account.account", "create", vals, A1)) == "odoo.exceptions.AccessError"
    emulated_user_groups_set(database=odoo, uid=6, add=["account.group_account_manager"])
    assert ok(call(odoo, 6, "account.account", "create", vals, A1)) == 711
    duplicate = call(odoo, 6, "account.account", "create", vals, A1)
    assert error_name(duplicate) == "odoo.exceptions.ValidationError"


@both
def test_creating_a_partner_needs_contact_creation_and_a_valid_vat(call, odoo):
    vals = {"name": "KLM", "vat": "NL808661863B01", "is_company": True}
    assert error_name(call(odoo, 6, "res.partner", "create", [vals])) == "odoo.exceptions.AccessError"
    emulated_user_groups_set(database=odoo, uid=6, add=["base.group_partner_manager"])
    invalid = call(odoo, 6, "res.partner", "create", [{**vals, "vat": "NL001976300B01"}])
    assert error_name(invalid) == "odoo.exceptions.ValidationError"
    assert isinstance(ok(call(odoo, 6, "res.partner", "create", [vals])), int)


@both
def test_has_group_is_a_model_call_and_fails_with_ids(call, odoo):
    assert ok(call(odoo, 6, "res.users", "has_group", ["account.group_account_user"])) is True
    assert ok(call(odoo, 7, "res.users", "has_group", ["account.group_account_user"])) is False
    assert error_name(call(odoo, 6, "res.users", "has_group",
                           [[6], "account.group_account_user"])) == "builtins.TypeError"


# --- companies ----------------------------------------------------------------------------------------
@both
def test_records_of_companies_outside_the_context_are_invisible(call, odoo):
    journals = {"fields": ["company_id"]}
    only_a = ok(call(odoo, 6, "account.journal", "search_read", [[]], {**journals, **A1}))
    both_companies = ok(call(odoo, 6, "account.journal", "search_read", [[]],
                             {**journals, "context": {"allowed_company_ids": [1, 2]}}))
    assert {row["company_id"][0] for row in only_a} == {1}
    assert {row["company_id"][0] for row in both_companies} == {1, 2}
    assert ok(call(odoo, 7, "account.journal", "search_count", [[["company_id", "=", 2]]])) == 0
    refused = call(odoo, 7, "account.journal", "search_count", [[]], {"context": {"allowed_company_ids": [2]}})
    assert error_name(refused) == "odoo.exceptions.AccessError"


@both
def test_a_move_mixing_companies_is_refused(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    refused = call(odoo, 6, "account.move", "create", [entry(ids, wallet_id, debit=1, credit=1, journal_id=10)],
                   {"context": {"allowed_company_ids": [2, 1]}})
    assert error_name(refused) == "odoo.exceptions.UserError"
    assert refused["error"]["data"]["message"].startswith("Incompatible companies on records:")


# --- accepted oddities and errors ---------------------------------------------------------------------
@both
def test_an_unknown_analytic_account_is_accepted_but_an_unknown_account_is_not(call, odoo):
    ids, wallet_id = IDS[odoo.version], wallet(call, odoo)
    vals = entry(ids, wallet_id, debit=1, credit=1)
    vals["line_ids"][0][2]["analytic_distribution"] = {"999999": 100}
    assert isinstance(ok(call(odoo, 6, "account.move", "create", [vals], A1)), int)
    vals["line_ids"][0][2]["account_id"] = 999999
    assert error_name(call(odoo, 6, "account.move", "create", [vals], A1)) == "odoo.exceptions.ValidationError"


@both
def test_call_shape_errors_carry_the_recorded_exception_names(call, odoo):
    assert error_name(call(odoo, 6, "no.such.model", "search", [[]])) == "odoo.exceptions.UserError"
    assert error_name(call(odoo, 6, "account.move", "no_such_method", [[1]])) == "builtins.AttributeError"
    assert error_name(call(odoo, 6, "account.move", "_private", [[1]])) == "odoo.exceptions.AccessError"
    assert error_name(call(odoo, 6, "res.partner", "search_read", [[]], {"fields": ["nope"]})) == "builtins.ValueError"
    assert error_name(call(odoo, 6, "res.partner", "search", [[]], key="wrong")) == "odoo.exceptions.AccessDenied"
    assert ok(call(odoo, 6, "account.move", "read", [[99999]], {"fields": ["name"]})) == []


def test_analytic_plans_lost_company_id_in_17(call, odoo16, odoo17):
    fields = {"fields": ["name", "company_id"]}
    assert ok(call(odoo16, 6, "account.analytic.plan", "search_read", [[]], fields))
    assert error_name(call(odoo17, 6, "account.analytic.plan", "search_read", [[]], fields)) == "builtins.ValueError"


def test_reading_home_addresses_needs_employees_officer_in_16(call, odoo16):
    refused = call(odoo16, 6, "hr.employee", "search_read", [[]], {"fields": ["name", "address_home_id"]})
    assert error_name(refused) == "odoo.exceptions.AccessError"
    assert ok(call(odoo16, 2, "hr.employee", "search_read", [[]], {"fields": ["name", "address_home_id"]}))


def test_authenticate_answers_uid_false_or_the_unknown_database_error(rpc, odoo17):
    key = emulated_api_key(database=odoo17, uid=6)
    assert rpc("common", "authenticate", "pleo17", "pleo@example.com", key, {})["result"] == 6
    assert rpc("common", "authenticate", "pleo17", "pleo@example.com", "wrong", {})["result"] is False
    unknown = rpc("common", "authenticate", "nope", "pleo@example.com", key, {})
    assert unknown["error"]["data"]["name"] == "psycopg2.OperationalError"
    assert rpc("common", "version")["result"]["server_version_info"][0] == 17


@both  # v17/112, v17/113
def test_api_keys_are_readable_but_have_no_expiration_date_before_odoo_18(call, odoo):
    keys = ok(call(odoo, 2, "res.users.apikeys", "search_read", [[["user_id", "=", 2]]], {"fields": ["name", "scope"]}))
    assert keys == [{"id": 1, "name": "sandbox", "scope": False}]
    refused = call(odoo, 2, "res.users.apikeys", "search_read", [[["user_id", "=", 2]]], {
        "fields": ["name", "expiration_date"]})
    assert error_name(refused) == "builtins.ValueError"
    assert refused["error"]["data"]["message"] == "Invalid field 'expiration_date' on model 'res.users.apikeys'"


@both  # v17/118, v17/119
@pytest.mark.parametrize("method,path", [("post", "json/2/res.users/context_get"), ("get", "web/version")])
def test_json2_and_web_version_probes_get_an_html_404_page(client, odoo, method, path):
    response = getattr(client, method)(f"/sandbox/odoo/{odoo.name}/{path}", content_type="application/json",
                                       headers={"Authorization": "bearer key"})
    assert (response.status_code, response["Content-Type"]) == (404, "text/html;charset=utf-8")
    assert response.content.startswith(b"<!DOCTYPE html>")


# --- domains ----------------------------------------------------------------------------------------------
@both
def test_domains_support_prefix_operators_comparisons_order_and_paging(call, odoo):
    search = lambda domain, **kw: ok(call(odoo, 6, "account.account", "search_read", [domain],
                                         {"fields": ["code"], **kw, **A1}))
    assert [r["code"] for r in search(["|", ["code", "=", "130000"], ["code", "=", "110000"]])] == ["110000", "130000"]
    assert [r["code"] for r in search([["code", ">=", "999000"], "!", ["code", "in", ["999001"]]])] == [
        "999002", "999999"]
    assert [r["code"] for r in search([["code", "like", "9990"]], order="code desc", limit=1, offset=1)] == ["999001"]
    assert ok(call(odoo, 6, "account.account", "search_count", [[["account_type", "not in", ["expense"]]]], A1)) == 235


# --- faults --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,status", [
    (FaultKind.HTTP_502, 502), (FaultKind.HTTP_503, 503), (FaultKind.HTML_PAGE, 200),
    (FaultKind.MALFORMED_JSON, 200), (FaultKind.TIMEOUT, 504),
])
def test_an_injected_fault_fails_the_next_matching_call_only(client, odoo17, kind, status):
    emulated_fault_add(database=odoo17, kind=kind, service="object", model="res.partner", method="search")
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw",
            "args": ["pleo17", 6, emulated_api_key(database=odoo17, uid=6), "res.partner", "search", [[]]]}}
    first = client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body), content_type="application/json")
    assert first.status_code == status
    with pytest.raises(ValueError):
        json.loads(first.content)
    second = client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body), content_type="application/json")
    assert second.status_code == 200 and "result" in second.json()
    assert not EmulatedFault.objects.exists()


def test_after_commit_error_performs_the_call_then_answers_504(client, call, odoo17):
    emulated_user_groups_set(database=odoo17, uid=6, add=["base.group_partner_manager"])
    emulated_fault_add(database=odoo17, kind=FaultKind.AFTER_COMMIT_ERROR, model="res.partner", method="create")
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw",
            "args": ["pleo17", 6, emulated_api_key(database=odoo17, uid=6), "res.partner", "create",
                     [{"name": "Lost"}]]}}
    assert client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body),
                       content_type="application/json").status_code == 504
    assert ok(call(odoo17, 6, "res.partner", "search_count", [[["name", "=", "Lost"]]])) == 1


def test_entries_in_batches_of_fifty_are_created_and_posted_with_one_call_each(call, odoo17):
    # How fast the emulator books is a benchmark's figure (make bench), not a timed test.
    wallet_id = wallet(call, odoo17)
    for batch in range(2):
        vals = [entry(IDS[17], wallet_id, debit=10, credit=12.1, tax=IDS[17]["tax21"], ref=f"B{batch}-{i}")
                for i in range(50)]
        ids = ok(call(odoo17, 6, "account.move", "create", [vals], A1))
        assert len(ids) == 50
        ok(call(odoo17, 6, "account.move", "action_post", [ids]))
    assert ok(call(odoo17, 6, "account.move", "search_count", [[["state", "=", "posted"]]], A1)) == 100
