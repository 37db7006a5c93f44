"""Replays every recorded Odoo 16/17 exchange against the emulator and compares the answers."""
__all__ = []

import copy
import json
from pathlib import Path

import pytest

from sandbox.odoo.services import LOGINS, emulated_api_key, emulated_database_create, emulated_user_groups_set
from tests.sandbox.odoo.conftest import RECORDING_DAY

CONTRACT = Path("/work/shared/odoo-contract")
# db.list names the recording server's other databases; only its shape can match.
SHAPE_ONLY = {"db-list"}


def _recordings(version):
    return [json.loads(path.read_text()) for path in sorted((CONTRACT / f"v{version}").glob("*.json"))]


def _post(client, body):
    response = client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    return response.json()


def _shape(value):
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return ["list"]
    return type(value).__name__


def _assert_same_shape(recorded, answered, where):
    if isinstance(recorded, dict):
        assert isinstance(answered, dict), where
        assert set(answered) == set(recorded), f"{where}: keys {sorted(answered)} != {sorted(recorded)}"
        for key in recorded:
            _assert_same_shape(recorded[key], answered[key], f"{where}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(answered, list), where
        if recorded and answered:
            shapes = [json.dumps(_shape(item), sort_keys=True) for item in recorded]
            for item in answered:
                assert json.dumps(_shape(item), sort_keys=True) in shapes, f"{where}: element {item!r}"
    else:
        assert type(answered) is type(recorded), f"{where}: {answered!r} vs {recorded!r}"


class Replay:
    def __init__(self, client, version):
        self.client = client
        self.version = version
        self.database = None
        self.fresh_database()
        self.recordings = {rec["name"]: rec for rec in _recordings(version)}

    def fresh_database(self):
        if self.database is not None:
            self.database.delete()
        self.database = emulated_database_create(name=f"pleo{self.version}", version=self.version, today=RECORDING_DAY)

    def key_for(self, uid):
        return emulated_api_key(database=self.database, uid=uid)

    def prepare(self, request):
        request = copy.deepcopy(request)
        params = request["params"]
        args = params.get("args", [])
        if params["service"] == "object" and args[2] == "<API_KEY>":
            args[2] = self.key_for(args[1])
        if params["service"] == "common" and params["method"] == "authenticate" and args[2] == "<API_KEY>":
            uid = {login: uid for uid, login in LOGINS.items()}[args[1]]
            args[2] = self.key_for(uid)
        return request

    def call(self, uid, model, method, args, kwargs=None):
        body = {"jsonrpc": "2.0", "method": "call", "id": 0, "params": {
            "service": "object", "method": "execute_kw",
            "args": [f"pleo{self.version}", uid, self.key_for(uid), model, method, args, kwargs or {}]}}
        answer = _post(self.client, body)
        assert "error" not in answer, answer
        return answer.get("result")

    def recorded_args(self, name):
        return copy.deepcopy(self.recordings[name]["request"]["params"]["args"])

    # Calls made between recorded ones that the recordings did not keep (the JSON-RPC ids jump there).
    def setup_before(self, name):
        if name == "error-partner-create-invalid-vat":
            emulated_user_groups_set(database=self.database, uid=6, add=["base.group_partner_manager"])
        elif name == "account-create-wallet-as-adviser":
            emulated_user_groups_set(database=self.database, uid=6, add=["account.group_account_manager"])
        elif name == "move-bill-post":
            args = self.recorded_args("move-bill-create")
            args[5][0]["ref"] = "PLEO-bill-2"
            assert self.call(6, "account.move", "create", args[5], args[6]) == 5
        elif name == "payable-lines-to-reconcile":
            payable = 82 if self.version == 17 else 83
            partner = 12 if self.version == 17 else 13
            move_id = self.call(6, "account.move", "create", [{
                "move_type": "entry", "journal_id": 3, "date": "2026-11-04", "ref": "PLEO-bill-2 payment",
                "line_ids": [
                    [0, 0, {"name": "Pay bill", "account_id": payable, "debit": 302.5, "partner_id": partner}],
                    [0, 0, {"name": "Pleo", "account_id": 711, "credit": 302.5}],
                ]}], {"context": {"allowed_company_ids": [1]}})
            assert move_id == 6
            self.call(6, "account.move", "action_post", [[6]])
        elif name == "move-unlink-draft":
            expense = 166 if self.version == 17 else 167
            move_id = self.call(6, "account.move", "create", [{
                "move_type": "entry", "journal_id": 3, "line_ids": [
                    [0, 0, {"name": "x", "account_id": expense, "debit": 1}],
                    [0, 0, {"name": "y", "account_id": 711, "credit": 1}]]}],
                {"context": {"allowed_company_ids": [1]}})
            assert move_id == 15
        elif name == "company-tax-rounding-method":
            # The rounding series ran on a fresh copy of the set-up database, with a wallet and a vendor.
            self.fresh_database()
            assert self.call(2, "account.account", "create", [{
                "code": "1099", "name": "Pleo Wallet", "account_type": "asset_current", "company_id": 1,
                "reconcile": True}]) == 711
            vendor = self.call(2, "res.partner", "create", [{"name": "Bakkerij Bart", "is_company": True}])
            assert vendor == (11 if self.version == 17 else 12)


@pytest.mark.django_db
@pytest.mark.parametrize("version", [16, 17])
def test_every_recorded_exchange_gets_the_recorded_answer(client, version):
    replay = Replay(client, version)
    failures = []
    for recording in _recordings(version):
        name = recording["name"]
        replay.setup_before(name)
        answered = _post(client, replay.prepare(recording["request"]))
        recorded = recording["response"]
        try:
            _assert_same_shape(
                {k: v for k, v in recorded.items() if k != "error"}, {k: v for k, v in answered.items() if k != "error"},
                name,
            )
            if "error" in recorded:
                assert "error" in answered, f"{name}: expected an error, got {answered}"
                assert answered["error"]["data"]["name"] == recorded["error"]["data"]["name"], name
                _assert_same_shape(recorded["error"], answered["error"], name)
                assert answered["error"]["data"]["message"] == recorded["error"]["data"]["message"], name
            elif name not in SHAPE_ONLY:
                assert answered.get("result") == recorded.get("result"), (
                    f"{name}: {json.dumps(answered.get('result'))[:1500]}\n != {json.dumps(recorded.get('result'))[:1500]}"
                )
        except AssertionError as exc:
            failures.append(str(exc)[:2500])
    assert not failures, "\n\n".join(failures)
