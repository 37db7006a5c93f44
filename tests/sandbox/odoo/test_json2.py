"""The portal's Odoo client over JSON-2 against an emulated Odoo 19, through the in-process transport."""
__all__ = []

import pytest
import requests

from integrations.odoo.client import JSON2, OdooClient, OdooCredentials
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooConnectionError,
    OdooError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooUserError,
)
from sandbox.odoo.models import EmulatedRecord, FaultKind
from sandbox.odoo.services import (
    emulated_api_key,
    emulated_database_create,
    emulated_fault_add,
    emulated_uid,
    emulated_user_groups_set,
)
from sandbox.transport import SANDBOX_TEST_URL, in_process_session
from tests.sandbox.odoo.conftest import RECORDING_DAYS

pytestmark = pytest.mark.django_db

A1 = {"context": {"allowed_company_ids": [1]}}
EXPENSE, PAYABLE, TAX21, WALLET_CODE = 167, 82, 10, "1099"  # v19 ids: 400100 Gross wages, 130000 Creditors, 21%


@pytest.fixture
def odoo19(db):
    return emulated_database_create(name="client19", version=19, today=RECORDING_DAYS[19])


def json2_client(database, login="pleo@example.com", **options):
    uid = emulated_uid(version=database.version, login=login)
    credentials = OdooCredentials(url=f"{SANDBOX_TEST_URL}/sandbox/odoo/{database.name}", database=database.name,
                                  login=login, api_key=emulated_api_key(database=database, uid=uid))
    return OdooClient(credentials, company_id=1, session=in_process_session(), protocol=JSON2, max_retries=0,
                      sleep=lambda seconds: None, **options)


@pytest.fixture
def odoo(odoo19):
    uid = emulated_uid(version=19, login="pleo@example.com")
    # As in the recordings from 28 on: the integration user may create accounts (Billing Administrator).
    emulated_user_groups_set(database=odoo19, uid=uid, add=["account.group_account_manager"])
    return json2_client(odoo19)


def wallet(odoo):
    return odoo.create("account.account", {"code": WALLET_CODE, "name": "Pleo Wallet", "account_type": "asset_current",
                                           "reconcile": True, "company_ids": [[6, 0, [1]]]})


def test_the_client_finds_json2_its_version_and_its_user(odoo19):
    client = json2_client(odoo19)
    client.protocol = "json-rpc"
    assert client.detect_protocol() == JSON2
    assert client.web_version() == {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0-20251227"}
    assert client.version()["server_version"] == "19.0-20251227"
    assert client.authenticate() == 5 == client.uid
    assert client.has_group("account.group_account_user") is True
    assert client.has_group("account.group_account_manager") is False


def test_a_journal_entry_over_json2(odoo):
    wallet_id = wallet(odoo)
    move_id = odoo.create("account.move", {
        "move_type": "entry", "journal_id": 3, "date": "2026-11-02", "ref": "PLEO-json2-1",
        "line_ids": [
            [0, 0, {"name": "Taxi", "account_id": EXPENSE, "debit": 100.0, "tax_ids": [[6, 0, [TAX21]]],
                    "analytic_distribution": {"3": 100}}],
            [0, 0, {"name": "Pleo card payment", "account_id": wallet_id, "credit": 121.0}],
        ]})
    assert isinstance(move_id, int)  # one dict in, one id out, though JSON-2 answers a list
    [draft] = odoo.read("account.move", [move_id], ["name", "state", "amount_total", "line_ids"])
    assert (draft["name"], draft["state"], draft["amount_total"]) == (False, "draft", 121.0)
    lines = odoo.read("account.move.line", draft["line_ids"], ["name", "debit", "credit", "tax_line_id"])
    assert sorted((line["debit"], line["credit"]) for line in lines) == [(0.0, 121.0), (21.0, 0.0), (100.0, 0.0)]
    assert odoo.execute_kw("account.move", "action_post", [[move_id]]) is False
    found = list(odoo.search_read("account.move", [["ref", "=", "PLEO-json2-1"]], ["name", "state"]))
    assert found == [{"id": move_id, "name": "MISC/2026/11/0001", "state": "posted"}]

    attachment = odoo.create("ir.attachment", {"name": "receipt.png", "datas": "iVBORw0KGgo=",
                                               "res_model": "account.move", "res_id": move_id})
    posted = odoo.execute_kw("account.move", "message_post", [[move_id]],
                             {"body": "Exported from Pleo", "attachment_ids": [attachment]})
    assert isinstance(posted, list) and len(posted) == 1  # 19 answers the message ids (v19-json2/51)

    # A draft entry can be corrected and deleted; a posted one cannot be deleted.
    spare = odoo.create("account.move", {"move_type": "entry", "journal_id": 3, "line_ids": [
        [0, 0, {"name": "x", "account_id": EXPENSE, "debit": 1}],
        [0, 0, {"name": "y", "account_id": wallet_id, "credit": 1}]]})
    assert odoo.write("account.move", [spare], {"ref": "spare"}) is True
    assert odoo.read("account.move", [spare], ["ref"]) == [{"id": spare, "ref": "spare"}]
    assert odoo.execute_kw("account.move", "unlink", [[spare]]) is True
    assert odoo.read("account.move", [spare], ["ref"]) == []
    with pytest.raises(OdooUserError):
        odoo.execute_kw("account.move", "unlink", [[move_id]])


def test_a_vendor_bill_and_its_payment_reconciled_over_json2(odoo):
    wallet_id = wallet(odoo)
    [vendor] = odoo.create("res.partner", [{"name": "KLM Royal Dutch Airlines", "vat": "NL808661863B01",
                                            "is_company": True, "supplier_rank": 1}])
    bill_id = odoo.create("account.move", {
        "move_type": "in_invoice", "journal_id": 2, "partner_id": vendor, "invoice_date": "2026-11-04",
        "date": "2026-11-04", "ref": "PLEO-bill-json2",
        "invoice_line_ids": [[0, 0, {"name": "Flight AMS-CPH", "account_id": EXPENSE, "quantity": 1,
                                     "price_unit": 250.0, "tax_ids": [[6, 0, [TAX21]]]}]]})
    assert odoo.execute_kw("account.move", "action_post", [[bill_id]]) is False
    [bill] = odoo.read("account.move", [bill_id], ["name", "state", "amount_total", "payment_state"])
    assert bill == {"id": bill_id, "name": "BILL/2026/11/0001", "state": "posted", "amount_total": 302.5,
                    "payment_state": "not_paid"}

    payment_id = odoo.create("account.move", {
        "move_type": "entry", "journal_id": 3, "date": "2026-11-04", "ref": "PLEO-bill-json2 payment",
        "line_ids": [[0, 0, {"name": "Pay bill", "account_id": PAYABLE, "debit": 302.5, "partner_id": vendor}],
                     [0, 0, {"name": "Pleo", "account_id": wallet_id, "credit": 302.5}]]})
    odoo.execute_kw("account.move", "action_post", [[payment_id]])
    payables = list(odoo.search_read("account.move.line", [["move_id", "in", [bill_id, payment_id]],
                                                           ["account_id", "=", PAYABLE]], ["debit", "credit"]))
    assert len(payables) == 2
    assert odoo.execute_kw("account.move.line", "reconcile", [[line["id"] for line in payables]]) is None  # null
    [paid] = odoo.read("account.move", [bill_id], ["payment_state", "amount_residual"])
    assert (paid["payment_state"], paid["amount_residual"]) == ("paid", 0.0)


def test_json2_refusals_reach_the_client_as_its_error_classes(odoo19, odoo):
    with pytest.raises(OdooPermissionError):  # 403: the user without accounting rights
        json2_client(odoo19, login="norights@example.com").create("account.move", {"move_type": "entry"})
    with pytest.raises(OdooNotFoundError):  # 404: MissingError
        odoo.execute_kw("account.move", "action_post", [[99999999]])
    with pytest.raises(OdooNotFoundError):  # 404: unknown model
        odoo.search_count("no.such.model", [])
    wrong = json2_client(odoo19)
    wrong.credentials = OdooCredentials(url=wrong.credentials.url, database=odoo19.name, login="pleo@example.com",
                                        api_key="0" * 40)
    with pytest.raises(OdooAuthenticationError):
        wrong.authenticate()


def test_one_json2_call_is_one_transaction(odoo19, odoo):
    with pytest.raises(OdooError) as refused:
        odoo.create("res.partner", [{"name": "Txn Test A", "is_company": True},
                                    {"name": "Txn Test B", "vat": "NL001976300B01", "country_id": 165}])
    assert refused.value.status == 422
    assert odoo.search_count("res.partner", [["name", "like", "Txn Test"]]) == 0


# --- faults apply to JSON-2 as to JSON-RPC object calls ---------------------------------------------------------
def http(database, path, key=None, body=b"{}", method="POST", database_header=True):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"bearer {key}"
    if database_header:
        headers["X-Odoo-Database"] = database.name
    return in_process_session().request(method, f"{SANDBOX_TEST_URL}/sandbox/odoo/{database.name}{path}",
                                        data=body, headers=headers, allow_redirects=False)


def pleo_key(database):
    return emulated_api_key(database=database, uid=emulated_uid(version=19, login="pleo@example.com"))


@pytest.mark.parametrize(("kind", "status", "content_type"), [
    (FaultKind.HTTP_503, 503, "text/html"),
    (FaultKind.HTTP_502, 502, "text/html"),
    (FaultKind.TIMEOUT, 504, "text/html"),
    (FaultKind.HTML_PAGE, 200, "text/html"),
    (FaultKind.ACCESS_DENIED, 401, "application/json; charset=utf-8"),
])
def test_a_fault_answers_a_json2_call_as_it_answers_a_jsonrpc_object_call(odoo19, kind, status, content_type):
    emulated_fault_add(database=odoo19, kind=kind, service="object", model="res.partner", method="search_read")
    other = http(odoo19, "/json/2/res.partner/search_count", pleo_key(odoo19), b'{"domain": []}')
    assert other.status_code == 200  # another method: no fault
    answer = http(odoo19, "/json/2/res.partner/search_read", pleo_key(odoo19), b'{"domain": [], "fields": ["name"]}')
    assert (answer.status_code, answer.headers["Content-Type"]) == (status, content_type)
    again = http(odoo19, "/json/2/res.partner/search_read", pleo_key(odoo19), b'{"domain": [], "fields": ["name"]}')
    assert again.status_code == 200  # the fault struck once


def test_a_json2_call_can_time_out_or_lose_its_answer_after_the_commit(odoo19):
    emulated_fault_add(database=odoo19, kind=FaultKind.READ_TIMEOUT, model="res.partner", method="create")
    with pytest.raises(requests.exceptions.ReadTimeout):
        http(odoo19, "/json/2/res.partner/create", pleo_key(odoo19), b'{"vals_list": [{"name": "Lost"}]}')
    assert not EmulatedRecord.objects.filter(database=odoo19, model="res.partner", values__name="Lost").exists()

    emulated_fault_add(database=odoo19, kind=FaultKind.CONNECTION_RESET, model="res.partner", method="create",
                       after_commit=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        http(odoo19, "/json/2/res.partner/create", pleo_key(odoo19), b'{"vals_list": [{"name": "Done"}]}')
    assert EmulatedRecord.objects.filter(database=odoo19, model="res.partner", values__name="Done").exists()

    client = json2_client(odoo19)
    emulated_fault_add(database=odoo19, kind=FaultKind.AFTER_COMMIT_ERROR, model="res.partner", method="create")
    with pytest.raises(OdooConnectionError):
        client.create("res.partner", {"name": "Done too"})
    assert EmulatedRecord.objects.filter(database=odoo19, model="res.partner", values__name="Done too").exists()


def test_json2_routes_through_the_transport(odoo19):
    version = in_process_session().get(f"{SANDBOX_TEST_URL}/sandbox/odoo/{odoo19.name}/web/version")
    assert version.json()["version_info"][0] == 19
    assert http(odoo19, "/json/2/res.users/context_get", pleo_key(odoo19), database_header=False).json()["uid"] == 5
    unknown = http(odoo19, "/json/2/res.users/context_get", pleo_key(odoo19))
    unknown_db = in_process_session().post(
        f"{SANDBOX_TEST_URL}/sandbox/odoo/{odoo19.name}/json/2/res.users/context_get", json={},
        headers={"Authorization": f"bearer {pleo_key(odoo19)}", "X-Odoo-Database": "no_such_db"})
    assert unknown.status_code == 200
    assert (unknown_db.status_code, unknown_db.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    get = http(odoo19, "/json/2/res.partner/search_read", pleo_key(odoo19), body=None, method="GET")
    assert (get.status_code, get.json()["name"]) == (404, "werkzeug.exceptions.NotFound")
    assert http(odoo19, "/json/2/res.partner/search_read").json()["message"].startswith("User not authenticated")
    bad = http(odoo19, "/json/2/res.partner/search_read", pleo_key(odoo19), body=b"{not json")
    assert (bad.status_code, bad.json()["name"]) == (400, "werkzeug.exceptions.BadRequest")
