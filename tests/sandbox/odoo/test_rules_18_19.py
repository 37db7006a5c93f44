"""The rules of Odoo 18 and 19 that differ from 17 and that an exporter relies on
(README "Odoo 18 and 19 versus 17")."""
__all__ = []

import datetime
import json

import pytest

from sandbox.odoo.services import (
    emulated_api_key,
    emulated_company_lock_date_set,
    emulated_database_create,
    emulated_uid,
    emulated_user_groups_set,
    web_route_handle,
)
from tests.sandbox.odoo.conftest import RECORDING_DAYS

pytestmark = pytest.mark.django_db

IDS = {  # the recorded ids per version (v17, v18, v19 files 13-17, 37)
    17: {"expense": 166, "tax21": 11, "payable": 82, "wallet": 711, "misc_b": 10},
    18: {"expense": 166, "tax21": 10, "payable": 82, "wallet": 711, "misc_b": 10},
    19: {"expense": 167, "tax21": 10, "payable": 82, "wallet": 713, "misc_b": 9},
}
A1 = {"context": {"allowed_company_ids": [1]}}


@pytest.fixture
def odoo(request, db):
    return emulated_database_create(name=f"db{request.param}", version=request.param,
                                    today=RECORDING_DAYS[request.param])


def versions(*numbers):
    return pytest.mark.parametrize("odoo", numbers, indirect=True, ids=[f"odoo{n}" for n in numbers])


@pytest.fixture
def call(client):
    def execute(database, uid, model, method, args, kwargs=None):
        body = {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {
            "service": "object", "method": "execute_kw",
            "args": [database.name, uid, emulated_api_key(database=database, uid=uid), model, method, args,
                     kwargs or {}]}}
        response = client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200
        return response.json()

    return execute


def ok(answer):
    assert "error" not in answer, answer["error"]["data"]["message"]
    return answer.get("result")


def error(answer):
    return answer["error"]["data"]["name"], answer["error"]["data"]["message"]


def pleo(odoo):
    return emulated_uid(version=odoo.version, login="pleo@example.com")


def norights(odoo):
    return emulated_uid(version=odoo.version, login="norights@example.com")


def company_link(odoo, company_id=1):
    return {"company_ids": [[6, 0, [company_id]]]} if odoo.version >= 18 else {"company_id": company_id}


def wallet(call, odoo):
    emulated_user_groups_set(database=odoo, uid=pleo(odoo), add=["account.group_account_manager"])
    return ok(call(odoo, pleo(odoo), "account.account", "create", [{
        "code": "1099", "name": "Pleo Wallet", "account_type": "asset_current", "reconcile": True,
        **company_link(odoo)}], A1))


def bill(ids, prices, tax, **values):
    lines = [[0, 0, {"name": f"Item {n}", "account_id": ids["expense"], "quantity": 1, "price_unit": price,
                     "tax_ids": [[6, 0, [tax]]]}] for n, price in enumerate(prices)]
    return {"move_type": "in_invoice", "partner_id": 3, "invoice_date": "2026-11-02", "journal_id": 2, **values,
            "invoice_line_ids": lines}


def totals(call, odoo, move_id, uid=2):
    row = ok(call(odoo, uid, "account.move", "read", [[move_id], ["amount_untaxed", "amount_tax", "amount_total"]]))[0]
    return row["amount_untaxed"], row["amount_tax"], row["amount_total"]


# --- the protocol -----------------------------------------------------------------------------------------------
@versions(17, 18, 19)
def test_json_rpc_errors_carry_code_0_from_19(call, odoo):
    answer = call(odoo, pleo(odoo), "no.such.model", "search", [[]])
    assert answer["error"]["code"] == (0 if odoo.version >= 19 else 200)


@versions(18, 19)
def test_the_users_have_the_recorded_uids(rpc, odoo):
    key = emulated_api_key(database=odoo, uid=pleo(odoo))
    assert rpc("common", "authenticate", odoo.name, "pleo@example.com", key, {})["result"] == (
        5 if odoo.version == 19 else 6)
    assert rpc("common", "version")["result"]["server_version_info"][:1] == [odoo.version]


@versions(18, 19)
def test_unknown_and_private_methods_are_refused_as_the_version_does(call, odoo):
    unknown = call(odoo, pleo(odoo), "account.move", "no_such_method", [[1]])
    assert error(unknown) == ("builtins.AttributeError", "The method 'account.move.no_such_method' does not exist")
    existing = call(odoo, pleo(odoo), "account.move", "_check_balanced", [[1]])
    assert error(existing) == ("odoo.exceptions.AccessError",
                               "Private methods (such as 'account.move._check_balanced') cannot be called remotely.")
    missing = error(call(odoo, pleo(odoo), "account.move", "_private_method", [[1]]))[0]
    assert missing == ("builtins.AttributeError" if odoo.version == 18 else "odoo.exceptions.AccessError")


# --- users and groups ---------------------------------------------------------------------------------------------
@versions(17, 18, 19)
def test_has_group_is_called_on_the_user_record_from_18(call, odoo):
    uid, other = pleo(odoo), norights(odoo)
    if odoo.version < 18:
        assert ok(call(odoo, uid, "res.users", "has_group", ["account.group_account_user"])) is True
        assert error(call(odoo, uid, "res.users", "has_group",
                          [[uid], "account.group_account_user"]))[0] == "builtins.TypeError"
        return
    assert ok(call(odoo, uid, "res.users", "has_group", [[uid], "account.group_account_user"])) is True
    assert ok(call(odoo, other, "res.users", "has_group", [[other], "account.group_account_user"])) is False
    # The record decides, not the caller.
    assert ok(call(odoo, other, "res.users", "has_group", [[uid], "account.group_account_user"])) is True
    owner = "ResUsers" if odoo.version >= 19 else "Users"
    assert error(call(odoo, uid, "res.users", "has_group", ["account.group_account_user"])) == (
        "builtins.TypeError", f"{owner}.has_group() missing 1 required positional argument: 'group_ext_id'")


@versions(18, 19)
def test_a_users_groups_are_group_ids_in_19(call, odoo):
    uid = pleo(odoo)
    field, gone = ("group_ids", "groups_id") if odoo.version >= 19 else ("groups_id", "group_ids")
    groups = ok(call(odoo, uid, "res.users", "read", [[uid]], {"fields": [field]}))[0][field]
    assert 4 in groups  # base.group_system (v18/10, v19/10)
    refused = call(odoo, uid, "res.users", "read", [[uid]], {"fields": [gone]})
    wording = "on 'res.users'" if odoo.version >= 19 else "on model 'res.users'"
    assert error(refused) == ("builtins.ValueError", f"Invalid field '{gone}' {wording}")
    added = emulated_user_groups_set(database=odoo, uid=uid, add=["base.group_partner_manager"])
    assert ok(call(odoo, uid, "res.users", "read", [[uid]], {"fields": [field]}))[0][field] == added


@versions(18, 19)
def test_a_settings_user_may_create_contacts_in_19_only(call, odoo):
    answer = call(odoo, pleo(odoo), "res.partner", "create", [{"name": "KLM", "is_company": True}])
    if odoo.version >= 19:
        assert isinstance(ok(answer), int)
    else:
        name, message = error(answer)
        assert name == "odoo.exceptions.AccessError" and "Extra Rights/Contact Creation" in message


@versions(18, 19)
def test_an_invalid_vat_is_refused_with_a_country_and_in_18_also_without(call, odoo):
    emulated_user_groups_set(database=odoo, uid=pleo(odoo), add=["base.group_partner_manager"])
    vals = {"name": "KLM Royal Dutch Airlines", "vat": "NL001976300B01", "is_company": True}
    without_country = call(odoo, pleo(odoo), "res.partner", "create", [vals])
    if odoo.version >= 19:
        assert isinstance(ok(without_country), int)
    else:
        assert error(without_country)[0] == "odoo.exceptions.ValidationError"
    refused = call(odoo, pleo(odoo), "res.partner", "create", [{**vals, "country_id": 165}])
    assert error(refused)[0] == "odoo.exceptions.ValidationError"


@versions(17, 18, 19)
def test_api_keys_carry_an_expiration_date_from_18(call, db, odoo):
    expire_at = datetime.datetime(2099, 12, 31, 23, 59, 59)
    database = emulated_database_create(name=f"keys{odoo.version}", version=odoo.version, api_keys_expire_at=expire_at)
    uid = pleo(database)
    answer = call(database, uid, "res.users.apikeys", "search_read", [[["user_id", "=", uid]]], {
        "fields": ["name", "expiration_date"]})
    if odoo.version < 18:
        assert error(answer)[0] == "builtins.ValueError"
    else:
        assert ok(answer) == [{"id": 2, "name": "sandbox", "expiration_date": "2099-12-31 23:59:59"}]


# --- chart of accounts --------------------------------------------------------------------------------------------
@versions(18, 19)
def test_accounts_belong_to_companies_through_company_ids_from_18(call, odoo):
    uid, ids = pleo(odoo), IDS[odoo.version]
    payable = ok(call(odoo, uid, "account.account", "search_read", [[
        ["company_ids", "in", [1]], ["code", "=", "130000"]]], {"fields": ["code", "company_ids"], **A1}))
    assert payable == [{"id": ids["payable"], "code": "130000", "company_ids": [1]}]
    by_company_id = call(odoo, uid, "account.account", "search_read", [[["company_id", "=", 1]]], {"fields": ["code"]})
    word = "condition" if odoo.version >= 19 else "leaf"
    assert error(by_company_id) == (
        "builtins.ValueError", f"Invalid field account.account.company_id in {word} ('company_id', '=', 1)")
    emulated_user_groups_set(database=odoo, uid=uid, add=["account.group_account_manager"])
    vals = {"code": "1099", "name": "Pleo Wallet", "account_type": "asset_current", "reconcile": True}
    refused = call(odoo, uid, "account.account", "create", [{**vals, "company_id": 1}], A1)
    wording = "in 'account.account'" if odoo.version >= 19 else "on model 'account.account'"
    assert error(refused) == ("builtins.ValueError", f"Invalid field 'company_id' {wording}")
    created = ok(call(odoo, uid, "account.account", "create", [{**vals, "company_ids": [[6, 0, [1]]]}], A1))
    assert created == ids["wallet"]
    duplicate = call(odoo, uid, "account.account", "create", [{**vals, "company_ids": [[6, 0, [1]]]}], A1)
    assert error(duplicate) == ("odoo.exceptions.ValidationError",
                                "Account codes must be unique. You can't create accounts with these duplicate "
                                "codes: 1099")
    # Company B has its own 1099.
    assert isinstance(ok(call(odoo, uid, "account.account", "create", [{**vals, "company_ids": [[6, 0, [2]]]}],
                              {"context": {"allowed_company_ids": [2, 1]}})), int)


@versions(18, 19)
def test_accounts_are_archived_with_deprecated_in_18_and_active_in_19(call, odoo):
    archived, gone = ("active", "deprecated") if odoo.version >= 19 else ("deprecated", "active")
    rows = ok(call(odoo, pleo(odoo), "account.account", "search_read", [[["code", "=", "130000"]]],
                   {"fields": [archived], **A1}))
    assert rows[0][archived] is (odoo.version >= 19)
    assert error(call(odoo, pleo(odoo), "account.account", "search_read", [[]],
                      {"fields": [gone]}))[0] == "builtins.ValueError"


@versions(18, 19)
def test_accounts_show_their_code_in_19_only_to_users_with_read_only_accounting_rights(call, odoo):
    read = lambda uid: ok(call(odoo, uid, "account.journal", "read", [[2], ["name", "default_account_id"]]))[0]
    assert read(pleo(odoo))["default_account_id"][1] == "700100 Cost price NL trade goods 1"
    admin = read(2)
    assert admin["default_account_id"][1] == ("Cost price NL trade goods 1" if odoo.version >= 19
                                              else "700100 Cost price NL trade goods 1")
    assert admin["name"] == ("Purchases" if odoo.version >= 19 else "Vendor Bills")


@versions(17, 18, 19)
def test_the_dutch_chart_has_no_tax_included_purchase_tax_from_18(call, odoo):
    names = [row["name"] for row in ok(call(odoo, pleo(odoo), "account.tax", "search_read", [[
        ["type_tax_use", "=", "purchase"]]], {"fields": ["name", "description"], **A1}))]
    assert ("21% INC" in names) is (odoo.version < 18)
    descriptions = ok(call(odoo, pleo(odoo), "account.tax", "read", [[IDS[odoo.version]["tax21"]], ["description"]]))
    assert descriptions[0]["description"] == {
        17: "VAT receivable high (purchases)", 18: "<p>VAT receivable high (purchases)</p>",
        19: "<div>VAT receivable high (purchases)</div>"}[odoo.version]


# --- taxes and rounding -------------------------------------------------------------------------------------------
@versions(18, 19)
def test_price_include_is_computed_and_price_include_override_makes_a_tax_included(call, odoo):
    tax21 = IDS[odoo.version]["tax21"]
    fields = ["name", "price_include", "price_include_override"]
    ignored = ok(call(odoo, 2, "account.tax", "copy", [[tax21], {"name": "21% INC", "price_include": True}]))
    assert ok(call(odoo, 2, "account.tax", "read", [ignored, fields])) == [
        {"id": ignored[0], "name": "21% INC", "price_include": False, "price_include_override": False}]
    included = ok(call(odoo, 2, "account.tax", "copy", [
        [tax21], {"name": "21% INC", "price_include_override": "tax_included"}]))
    assert ignored == [63] and included == [64]  # copy answers a list from 18 (v18/87a)
    assert ok(call(odoo, 2, "account.tax", "read", [included, fields])) == [
        {"id": 64, "name": "21% INC", "price_include": True, "price_include_override": "tax_included"}]
    ok(call(odoo, 2, "account.tax", "write", [ignored, {"price_include": True}]))
    assert ok(call(odoo, 2, "account.tax", "read", [ignored, ["price_include"]]))[0]["price_include"] is False
    ids = IDS[odoo.version]
    move_id = ok(call(odoo, 2, "account.move", "create", [bill(ids, [10.0], 64)], A1))
    assert totals(call, odoo, move_id) == (8.26, 1.74, 10.0)
    untouched = ok(call(odoo, 2, "account.move", "create", [bill(ids, [10.0], 63)], A1))
    assert totals(call, odoo, untouched) == (10.0, 2.1, 12.1)


@versions(17, 18, 19)
def test_odoo_19_rounds_tax_globally_for_a_new_dutch_company(call, odoo):
    ids = IDS[odoo.version]
    method = ok(call(odoo, 2, "res.company", "read", [[1], ["tax_calculation_rounding_method"]]))[0]
    assert method["tax_calculation_rounding_method"] == ("round_globally" if odoo.version >= 19 else "round_per_line")
    excluded = ok(call(odoo, 2, "account.move", "create", [bill(ids, [2.75, 2.75, 2.75], ids["tax21"])], A1))
    # v17/93, v18/93: 0.58 per line; v19/93: 8.25 x 21% = 1.7325 rounded once.
    assert totals(call, odoo, excluded) == ((8.25, 1.73, 9.98) if odoo.version >= 19 else (8.25, 1.74, 9.99))
    lines = ok(call(odoo, 2, "account.move.line", "search_read", [[["move_id", "=", excluded]]],
                    {"fields": ["display_type", "credit"]}))
    assert [line["credit"] for line in lines if line["display_type"] == "payment_term"] == [
        9.98 if odoo.version >= 19 else 9.99]


def test_odoo_19_keeps_the_gross_of_tax_included_lines_and_rounds_their_tax_once(call, db):
    odoo = emulated_database_create(name="db19", version=19, today=RECORDING_DAYS[19])
    included = ok(call(odoo, 2, "account.tax", "copy", [
        [10], {"name": "21% INC", "price_include_override": "tax_included"}]))
    move_id = ok(call(odoo, 2, "account.move", "create", [bill(IDS[19], [3.33, 3.33, 3.33], included[0])], A1))
    assert totals(call, odoo, move_id) == (8.26, 1.73, 9.99)  # v19/91; 8.25 + 1.74 in 17 and 18


@versions(18, 19)
def test_an_entrys_written_tax_line_stays_in_18_but_is_recomputed_in_19(call, odoo):
    ids = IDS[odoo.version]
    wallet_id = wallet(call, odoo)
    move_id = ok(call(odoo, 2, "account.move", "create", [{
        "move_type": "entry", "journal_id": 3, "date": "2026-11-02", "line_ids": [
            [0, 0, {"name": "Bread", "account_id": ids["expense"], "debit": 8.26, "tax_ids": [[6, 0, [ids["tax21"]]]]}],
            [0, 0, {"name": "Pleo", "account_id": wallet_id, "credit": 9.99}]]}], A1))
    expense, pleo_line, tax = ok(call(odoo, 2, "account.move", "read", [[move_id], ["line_ids"]]))[0]["line_ids"]
    ok(call(odoo, 2, "account.move", "write", [[move_id], {"line_ids": [[1, tax, {"debit": 1.74}],
                                                                       [1, pleo_line, {"credit": 10.0}]]}], A1))
    lines = ok(call(odoo, 2, "account.move.line", "search_read", [[["move_id", "=", move_id]]],
                    {"fields": ["name", "debit"]}))
    expected = [("Bread", 8.26), ("Pleo", 0.0), ("21%", 1.74)]
    if odoo.version >= 19:  # v19/85
        expected = [("Bread", 8.26), ("Pleo", 0.0), ("21%", 1.73), ("Automatic Balancing Line", 0.01)]
    assert [(line["name"], line["debit"]) for line in lines] == expected


# --- journal entries ----------------------------------------------------------------------------------------------
@versions(17, 18, 19)
def test_drafts_have_no_name_until_posted_from_18(call, odoo):
    ids = IDS[odoo.version]
    first = ok(call(odoo, pleo(odoo), "account.move", "create", [
        bill(ids, [10.0], ids["tax21"], invoice_date="2026-11-04")], A1))
    second = ok(call(odoo, pleo(odoo), "account.move", "create", [
        bill(ids, [20.0], ids["tax21"], invoice_date="2026-11-04")], A1))
    ok(call(odoo, pleo(odoo), "account.move", "action_post", [[second]]))
    names = [row["name"] for row in ok(call(odoo, pleo(odoo), "account.move", "read", [[first, second], ["name"]]))]
    if odoo.version >= 18:  # v18/41, v18/44: the draft holds no number, the posted bill takes the first
        assert names == [False, "BILL/2026/11/0001"]
    else:
        assert names == ["BILL/2026/11/0001", "BILL/2026/11/0002"]
    term = ok(call(odoo, pleo(odoo), "account.move.line", "search_read", [[
        ["move_id", "=", first], ["display_type", "=", "payment_term"]]], {"fields": ["name"]}))
    assert term[0]["name"] == ("" if odoo.version < 18 else False)


@versions(18, 19)
def test_the_five_lock_dates_of_18(call, odoo):
    uid, ids = pleo(odoo), IDS[odoo.version]
    fields = ["fiscalyear_lock_date", "tax_lock_date", "sale_lock_date", "purchase_lock_date", "hard_lock_date"]
    company = ok(call(odoo, uid, "res.company", "read", [[1], fields]))[0]
    assert company == {"id": 1, **{field: False for field in fields}}
    refused = call(odoo, uid, "res.company", "read", [[1], ["period_lock_date"]])
    assert error(refused)[0] == "builtins.ValueError"
    with pytest.raises(ValueError):
        emulated_company_lock_date_set(database=odoo, company_id=1, period_lock_date=datetime.date(2026, 10, 31))
    # A purchase lock moves a bill posted into it, and leaves a journal entry alone; the sale lock binds neither.
    emulated_company_lock_date_set(database=odoo, company_id=1, purchase_lock_date=datetime.date(2026, 10, 31),
                                   sale_lock_date=datetime.date(2026, 11, 30))
    wallet_id = wallet(call, odoo)
    bill_id = ok(call(odoo, uid, "account.move", "create", [
        bill(ids, [10.0], ids["tax21"], invoice_date="2026-10-15", date="2026-10-15")], A1))
    entry_id = ok(call(odoo, uid, "account.move", "create", [{
        "move_type": "entry", "journal_id": 3, "date": "2026-10-15", "line_ids": [
            [0, 0, {"name": "x", "account_id": ids["expense"], "debit": 5}],
            [0, 0, {"name": "y", "account_id": wallet_id, "credit": 5}]]}], A1))
    ok(call(odoo, uid, "account.move", "action_post", [[bill_id, entry_id]]))
    dates = [row["date"] for row in ok(call(odoo, uid, "account.move", "read", [[bill_id, entry_id], ["date"]]))]
    assert dates == ["2026-11-30", "2026-10-15"]  # recorded on 2026-12-01: the last day of the first open month
    # The fiscal year lock binds every journal (v18/68-72).
    ok(call(odoo, uid, "res.company", "write", [[1], {"fiscalyear_lock_date": "2026-10-31"}]))
    late = ok(call(odoo, uid, "account.move", "create", [{
        "move_type": "entry", "journal_id": 3, "date": "2026-10-20", "line_ids": [
            [0, 0, {"name": "x", "account_id": ids["expense"], "debit": 5}],
            [0, 0, {"name": "y", "account_id": wallet_id, "credit": 5}]]}], A1))
    ok(call(odoo, uid, "account.move", "action_post", [[late]]))
    assert ok(call(odoo, uid, "account.move", "read", [[late], ["date"]]))[0]["date"] == "2026-11-30"


@versions(17, 18, 19)
def test_refusals_are_worded_as_the_version_words_them(call, odoo):
    ids, uid = IDS[odoo.version], pleo(odoo)
    wallet_id = wallet(call, odoo)
    lines = lambda debit, credit: [[0, 0, {"name": "x", "account_id": ids["expense"], "debit": debit}],
                                   [0, 0, {"name": "y", "account_id": wallet_id, "credit": credit}]]
    unbalanced = error(call(odoo, uid, "account.move", "create", [{
        "move_type": "entry", "journal_id": 3, "ref": "R", "line_ids": lines(10, 9)}], A1))
    assert unbalanced[0] == "odoo.exceptions.UserError"
    assert (unbalanced[1] == "The entry is not balanced.") is (odoo.version >= 19)
    if odoo.version == 18:
        assert "The move (Draft Entry (R)) is not balanced." in unbalanced[1]
    mixed = error(call(odoo, uid, "account.move", "create", [{
        "move_type": "entry", "journal_id": ids["misc_b"], "line_ids": lines(1, 1)}],
        {"context": {"allowed_company_ids": [2, 1]}}))
    opening = {17: "Incompatible companies on records:\n- 'MISC/2026/11/0001 x'",
               18: "Incompatible companies on records:\n- \u201cx\u201d",
               19: "Uh-oh! You\u2019ve got some company inconsistencies here:\n- \u201cx\u201d"}[odoo.version]
    assert mixed[0] == "odoo.exceptions.UserError" and mixed[1].startswith(opening)
    denied = error(call(odoo, norights(odoo), "account.move", "create", [
        {"move_type": "entry", "line_ids": lines(1, 1)}]))
    group = {17: "Invoicing/Billing", 18: "Invoicing/Invoicing", 19: "Accounting/Invoicing"}[odoo.version]
    assert denied[0] == "odoo.exceptions.AccessError" and f"\t- {group}\n" in denied[1]


@versions(17, 18, 19)
def test_message_post_answers_a_list_of_message_ids_in_19(call, odoo):
    ids = IDS[odoo.version]
    move_id = ok(call(odoo, pleo(odoo), "account.move", "create", [bill(ids, [10.0], ids["tax21"])], A1))
    posted = ok(call(odoo, pleo(odoo), "account.move", "message_post", [[move_id]], {"body": "Exported from Pleo"}))
    expected = {17: 34, 18: 42, 19: [121]}[odoo.version]  # the next message ids of the recorded databases (51)
    assert posted == expected


# --- probes beside /jsonrpc ---------------------------------------------------------------------------------------
@versions(18)
def test_odoo_18_redirects_a_json2_probe_to_its_login_page_and_has_no_web_version(client, odoo):
    probe = client.post(f"/sandbox/odoo/{odoo.name}/json/2/res.users/context_get", data="{}",
                        content_type="application/json", headers={"Authorization": "bearer key"})
    assert (probe.status_code, probe["Content-Type"]) == (303, "text/html; charset=utf-8")
    assert probe["Location"] == f"/sandbox/odoo/{odoo.name}/web/login?redirect=%2Fjson%2F2%2Fres.users%2Fcontext_get%3F"
    login = client.get(probe["Location"])
    assert login.status_code == 200 and login.content.startswith(b"<!DOCTYPE html>")  # not JSON: no JSON-2 here
    version = client.get(f"/sandbox/odoo/{odoo.name}/web/version")
    assert (version.status_code, version["Content-Type"]) == (404, "text/html;charset=utf-8")


@versions(19)
def test_odoo_19_answers_json_on_the_json2_and_version_routes(client, odoo):
    version = client.get(f"/sandbox/odoo/{odoo.name}/web/version")
    assert (version.status_code, version["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert version.json() == {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0-20251227"}
    uid = pleo(odoo)
    probe = client.post(f"/sandbox/odoo/{odoo.name}/json/2/res.users/context_get", data="{}",
                        content_type="application/json",
                        headers={"Authorization": f"bearer {emulated_api_key(database=odoo, uid=uid)}"})
    assert (probe.status_code, probe.json()) == (200, {"lang": "en_US", "tz": False, "uid": uid})
    answer = web_route_handle(route="json-2", pinned_database=odoo.name, path="/json/2/res.users/context_get",
                              headers={"authorization": "bearer wrong"}, body=b"{}", model="res.users",
                              model_method="context_get")
    assert (answer.status, json.loads(answer.body)["name"]) == (401, "werkzeug.exceptions.Unauthorized")
