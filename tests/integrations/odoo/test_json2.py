"""JSON-2's named arguments: how the client translates today's positional calls, and what it refuses."""
import json

import pytest

from integrations.odoo.client import JSON2
from integrations.odoo.errors import OdooNotFoundError, OdooProtocolError
from integrations.odoo.json2 import named_arguments
from tests.integrations.odoo.conftest import CONTRACT_DIR, ODOO_URL, make_client

__all__: list[str] = []

JSON2_URL = f"{ODOO_URL}/json/2"
GROUP = "account.group_account_user"


def recording(name):
    return json.loads((CONTRACT_DIR / "v19-json2" / name).read_text())


def body(rsps, n=0):
    return json.loads(rsps.calls[n].request.body)


@pytest.mark.parametrize(
    ("model", "method", "args", "kwargs", "expected", "single"),
    [
        ("res.partner", "search_read", [[["vat", "=", "NL1"]]], {"fields": ["name"], "limit": 1},
         {"domain": [["vat", "=", "NL1"]], "fields": ["name"], "limit": 1}, False),
        ("res.partner", "search_read", [[], ["name"]], {}, {"domain": [], "fields": ["name"]}, False),
        ("account.move", "search", [[["ref", "=", "x"]]], {"limit": 5}, {"domain": [["ref", "=", "x"]], "limit": 5},
         False),
        ("account.move", "search_count", [[]], {}, {"domain": []}, False),
        ("account.move", "read", [[1, 2]], {"fields": ["name"]}, {"ids": [1, 2], "fields": ["name"]}, False),
        ("account.move", "read", [[1], ["name"]], {}, {"ids": [1], "fields": ["name"]}, False),
        ("account.move", "read", [7], {"fields": ["name"]}, {"ids": [7], "fields": ["name"]}, False),
        ("res.partner", "create", [{"name": "A"}], {}, {"vals_list": [{"name": "A"}]}, True),
        ("res.partner", "create", [[{"name": "A"}, {"name": "B"}]], {}, {"vals_list": [{"name": "A"}, {"name": "B"}]},
         False),
        ("res.partner", "create", [], {"vals_list": {"name": "A"}}, {"vals_list": [{"name": "A"}]}, True),
        ("account.move", "write", [[18], {"ref": "x"}], {}, {"ids": [18], "vals": {"ref": "x"}}, False),
        ("account.tax", "copy", [[10], {"name": "21% INC"}], {}, {"ids": [10], "default": {"name": "21% INC"}}, False),
        ("account.account", "fields_get", [["account_type"]], {"attributes": ["selection"]},
         {"allfields": ["account_type"], "attributes": ["selection"]}, False),
        ("res.users", "has_group", [GROUP], {}, {"ids": [5], "group_ext_id": GROUP}, False),
        ("res.users", "has_group", [[5], GROUP], {}, {"ids": [5], "group_ext_id": GROUP}, False),
        ("account.move", "action_post", [[7, 8]], {"context": {"lang": "nl_NL"}},
         {"ids": [7, 8], "context": {"lang": "nl_NL"}}, False),
        ("account.move", "message_post", [[4]], {"body": "x", "attachment_ids": [511]},
         {"ids": [4], "body": "x", "attachment_ids": [511]}, False),
        # Methods the table does not know: ids alone, or everything by name.
        ("account.move", "action_reverse", [[3]], {}, {"ids": [3]}, False),
        ("res.partner", "name_create", [], {"name": "Bakker BV"}, {"name": "Bakker BV"}, False),
        ("res.users", "context_get", [], {}, {}, False),
    ],
)
def test_positional_json_rpc_shapes_become_named_arguments(model, method, args, kwargs, expected, single):
    assert named_arguments(model, method, args, kwargs, uid=5) == (expected, single)


@pytest.mark.parametrize(
    ("model", "method", "args", "kwargs", "message"),
    [
        ("res.partner", "name_create", ["Bakker BV"], {}, "JSON-2 takes named arguments only"),
        ("account.move", "action_reverse", [[3], {"date": "2026-11-30"}], {}, "named arguments only"),
        ("account.move", "action_post", [{"id": 1}], {}, "first positional argument must be their ids"),
        ("account.move", "write", [[1], {"ref": "x"}, {"lang": "nl"}], {}, "at most 1 positional argument"),
        ("account.move", "unlink", [[1], True], {}, "at most 0 positional argument"),
        ("res.partner", "search_read", [[]], {"domain": []}, "'domain' is given both by position and by name"),
        ("account.move", "write", [[1], {}], {"vals": {}}, "'vals' is given both"),
        ("res.partner", "create", [[1, 2]], {}, "takes a dict of values or a list of dicts"),
        ("res.partner", "create", [], {}, "takes a dict of values or a list of dicts"),
        ("res.users", "has_group", [GROUP, "base.group_user"], {}, "has_group"),
        ("res.partner/../res.users", "read", [[1]], {}, "not an Odoo model name"),
        ("res.partner", "read?x=1", [[1]], {}, "not an Odoo method name"),
        ("", "read", [[1]], {}, "not an Odoo model name"),
    ],
)
def test_shapes_that_cannot_be_translated_for_certain_are_refused_before_sending(rsps, model, method, args, kwargs,
                                                                                 message):
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        named_arguments(model, method, args, kwargs, uid=5)
    with pytest.raises(ValueError):
        make_client(protocol=JSON2).execute_kw(model, method, args, kwargs)
    assert len(rsps.calls) == 0


def test_has_groups_model_call_needs_the_user_id():
    with pytest.raises(ValueError, match="known user id"):
        named_arguments("res.users", "has_group", [GROUP])


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("07-users-read-self.json", lambda c, b: c.read("res.users", b["ids"], b["fields"])),
        ("09-users-has-group-model-call.json", lambda c, b: c.has_group(b["group_ext_id"])),
        ("52-move-create-batch.json", lambda c, b: c.create("account.move", b["vals_list"])),
        ("84-rounding-entry-adjust-tax-line-to-1.74.json", lambda c, b: c.write("account.move", b["ids"], b["vals"])),
        ("66-move-unlink-draft.json", lambda c, b: c.execute_kw("account.move", "unlink", [b["ids"]])),
        ("46-lines-reconcile.json", lambda c, b: c.execute_kw("account.move.line", "reconcile", [b["ids"]])),
    ],
)
def test_typed_helpers_send_what_real_json2_was_sent(rsps, name, call):
    exchange = recording(name)
    request, response = exchange["request"], exchange["response"]
    rsps.post(f"{ODOO_URL}{request['path']}", body=json.dumps(response["body"]), status=response["status"],
              content_type="application/json")  # `json=None` would send no body at all, not `null`
    sent = dict(request["body"])
    company = sent.pop("context", {}).get("allowed_company_ids", [None])[0]
    client = make_client(uid=5, company_id=company, protocol=JSON2)

    assert call(client, sent) == response["body"]
    assert body(rsps) == request["body"]


def test_create_of_one_dict_returns_one_id_as_on_json_rpc(rsps):
    exchange = recording("30-move-entry-create.json")
    rsps.post(f"{JSON2_URL}/account.move/create", json=exchange["response"]["body"])

    assert make_client(protocol=JSON2).create("account.move", exchange["request"]["body"]["vals_list"][0]) == 1
    assert body(rsps) == {"vals_list": exchange["request"]["body"]["vals_list"]}


@pytest.mark.parametrize("answer", [7, [], [1, 2], None, {"id": 1}])
def test_create_of_one_dict_answered_with_anything_but_one_id_is_a_protocol_error(rsps, sleep, answer):
    rsps.post(f"{JSON2_URL}/res.partner/create", body=json.dumps(answer), content_type="application/json")

    with pytest.raises(OdooProtocolError, match="instead of one id"):
        make_client(sleep, protocol=JSON2).create("res.partner", {"name": "x"})
    assert len(rsps.calls) == 1


def test_search_read_pages_over_json2_with_named_offset_limit_and_order(rsps):
    rsps.post(f"{JSON2_URL}/account.account/search_read", json=[{"id": 1}, {"id": 2}])
    rsps.post(f"{JSON2_URL}/account.account/search_read", json=[{"id": 3}])

    client = make_client(protocol=JSON2, company_id=1)
    records = list(client.search_read("account.account", [["company_ids", "in", [1]]], ["code"], order="code",
                                      batch_size=2, context={"lang": "nl_NL"}))

    assert [r["id"] for r in records] == [1, 2, 3]
    assert body(rsps, 0) == {"domain": [["company_ids", "in", [1]]], "fields": ["code"], "offset": 0, "limit": 2,
                             "order": "code, id", "context": {"allowed_company_ids": [1], "lang": "nl_NL"}}
    assert body(rsps, 1)["offset"] == 2


def test_the_callers_context_wins_over_the_company_key_by_key(rsps):
    rsps.post(f"{JSON2_URL}/account.move/search", json=[])

    make_client(protocol=JSON2, company_id=2).execute_kw("account.move", "search", [[]],
                                                          {"context": {"allowed_company_ids": [2, 1]}})

    assert body(rsps)["context"] == {"allowed_company_ids": [2, 1]}


def test_authenticate_without_a_user_id_in_the_answer_is_a_protocol_error(rsps):
    rsps.post(f"{JSON2_URL}/res.users/context_get", json={"lang": "en_US", "tz": False})

    with pytest.raises(OdooProtocolError, match="did not say which user"):
        make_client(uid=None, protocol=JSON2).authenticate()


def test_a_server_without_json2_redirecting_to_its_login_page_is_a_protocol_error(rsps):
    probe = json.loads((CONTRACT_DIR / "v18/118-json2-probe-context-get.json").read_text())["response"]
    rsps.post(f"{JSON2_URL}/res.partner/search_read", status=303, headers={"Location": probe["location"]},
              body=probe["body"], content_type=probe["content_type"])

    with pytest.raises(OdooProtocolError, match="redirects to /web/login"):
        make_client(protocol=JSON2).execute_kw("res.partner", "search_read", [[]])


def test_an_unknown_database_names_the_database(rsps):
    page = recording("04-unknown-db.json")["response"]
    rsps.post(f"{JSON2_URL}/res.users/context_get", body=page["body"], status=404, content_type=page["content_type"])

    with pytest.raises(OdooNotFoundError, match="The database 'pleo17' does not exist on https://acme.odoo.example"):
        make_client(uid=None, protocol=JSON2).authenticate()
