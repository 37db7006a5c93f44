"""Emulated Odoo state: creating and seeding databases, test helpers, faults, and answering JSON-RPC."""
import datetime
import json
import logging
from dataclasses import dataclass

from django.db import transaction

from sandbox.odoo import seed
from sandbox.odoo.engine import errors
from sandbox.odoo.engine.errors import error_payload
from sandbox.odoo.engine.rpc import dispatch
from sandbox.odoo.models import EmulatedApiKey, EmulatedDatabase, EmulatedFault, EmulatedRecord, FaultKind

__all__ = [
    "DEFAULT_API_KEYS",
    "LOGINS",
    "RpcResponse",
    "emulated_database_create",
    "emulated_api_key",
    "emulated_user_groups_set",
    "emulated_company_lock_date_set",
    "emulated_ids_skip",
    "emulated_fault_add",
    "emulated_faults_clear",
    "emulated_record_values",
    "rpc_handle",
    "web_route_handle",
]

logger = logging.getLogger(__name__)

OUTAGE_CALLS = 1_000_000  # "every call until cleared" for a fault that stays down

LOGINS = {2: "admin", 6: "pleo@example.com", 7: "norights@example.com"}
# Known default keys so tests and the demo can log in; pass api_keys to choose others.
DEFAULT_API_KEYS = {
    "admin": "sandbox-admin-key-0000000000000000000000",
    "pleo@example.com": "sandbox-pleo-key-00000000000000000000000",
    "norights@example.com": "sandbox-norights-key-000000000000000000",
}


# --- seeding ------------------------------------------------------------------------------------
@transaction.atomic
def emulated_database_create(
    *, name: str, version: int, api_keys: dict[str, str] | None = None, today: datetime.date | None = None,
    api_key_name: str = "sandbox", api_keys_created_at: datetime.datetime | None = None,
) -> EmulatedDatabase:
    """A database seeded like the recorded ones: two Dutch companies, chart, taxes, users 2, 6 and 7.

    `api_keys` maps a login to its key (defaults: DEFAULT_API_KEYS); `today` pins Odoo's date. Each user's
    key is a `res.users.apikeys` record named `api_key_name`, made at `api_keys_created_at` (UTC, default now).
    """
    if version not in (16, 17):
        raise ValueError("version must be 16 or 17")
    database = EmulatedDatabase.objects.create(name=name, version=version, today=today)
    created_at = api_keys_created_at or datetime.datetime.now(datetime.timezone.utc)
    rows = _Seeder(database, version).rows(api_key_name=api_key_name, api_keys_created_at=created_at)
    EmulatedRecord.objects.bulk_create(rows, batch_size=500)
    keys = {**DEFAULT_API_KEYS, **(api_keys or {})}
    EmulatedApiKey.objects.bulk_create([
        EmulatedApiKey(database=database, uid=uid, key=keys[login]) for uid, login in LOGINS.items()
    ])
    return database


class _Seeder:
    def __init__(self, database, version):
        self.database = database
        self.version = version
        self.data = seed.VERSION_DATA[version]
        self.records: dict[tuple[str, int], dict] = {}
        self.sequences: dict[str, int] = {}

    def add(self, model, record_id, values):
        self.records[(model, record_id)] = values
        self.sequences[model] = max(self.sequences.get(model, 1), record_id + 1)

    def rows(self, *, api_key_name: str, api_keys_created_at: datetime.datetime):
        self._base()
        self._chart()
        self._analytic()
        self._people()
        self._api_keys(api_key_name, api_keys_created_at)
        minimum = {
            "ir.attachment": self.data["attachment_next"], "mail.message": self.data["message_next"],
            "res.partner": len(self.data["partners"]) + 1, "res.users": 8, "ir.model.data": 30000,
            "account.move": 1, "account.move.line": 1, "account.full.reconcile": 1,
        }
        for model, next_id in minimum.items():
            self.sequences[model] = max(self.sequences.get(model, 1), next_id)
        self.database.sequences = self.sequences
        self.database.save(update_fields=["sequences"])
        parents = {"account.move.line": "move_id", "ir.attachment": "res_id", "mail.message": "res_id"}
        return [
            EmulatedRecord(
                database=self.database, model=model, record_id=rid, values=values,
                parent_id=values.get(parents[model]) if model in parents else None,
            )
            for (model, rid), values in self.records.items()
        ]

    def _base(self):
        eur, usd = self.data["currencies"]["EUR"], self.data["currencies"]["USD"]
        self.add("res.currency", eur, {"name": "EUR", "symbol": "\u20ac", "rounding": 0.01, "decimal_places": 2,
                                       "active": True, "rate": 1.0, "full_name": "Euro", "position": "after"})
        self.add("res.currency", usd, {"name": "USD", "symbol": "$", "rounding": 0.01, "decimal_places": 2,
                                       "active": True, "rate": 1.08, "full_name": "United States dollar",
                                       "position": "before"})
        self.add("res.country", 165, {"name": "Netherlands", "code": "NL"})
        for module, (module_id, latest) in self.data["modules"].items():
            app = module in ("account", "hr", "hr_expense")
            sequence = {"account": 10, "hr_expense": 80, "hr": 95}.get(module, 100)
            self.add("ir.module.module", module_id, {
                "name": module, "state": "installed" if latest else "uninstalled", "latest_version": latest,
                "shortdesc": module.replace("_", " ").title(), "application": app, "sequence": sequence,
            })
        data_ids = seed.GROUP_XMLID_DATA_IDS[self.version]
        next_data_id = 20000
        for group_id, xmlid, label in seed.GROUPS[self.version]:
            self.add("res.groups", group_id, {"name": label, "full_name": label, "category_id": None,
                                              "implied_ids": []})
            module, name = xmlid.split(".")
            data_id = data_ids.get(xmlid)
            if data_id is None:
                next_data_id += 1
                data_id = next_data_id
            self.add("ir.model.data", data_id, {"module": module, "name": name, "model": "res.groups",
                                                "res_id": group_id, "complete_name": xmlid, "noupdate": False})

    def _chart(self):
        chart = seed.chart(self.version)
        offset_accounts = len(chart["accounts"])
        eur = self.data["currencies"]["EUR"]
        codes = {1: {}, 2: {}}
        for company_id, offset in ((1, 0), (2, offset_accounts)):
            for account_id, code, name, account_type, reconcile in chart["accounts"]:
                self.add("account.account", account_id + offset, {
                    "code": code, "name": name, "account_type": account_type, "company_id": company_id,
                    "deprecated": False, "reconcile": reconcile, "currency_id": None, "tax_ids": [],
                    "note": None, "group_id": None,
                })
                codes[company_id][code] = account_id + offset
        for company_id, name, partner_id, vat, sequence in (
            (1, "Client A BV", 1, "NL004495445B01", 10), (2, "Client B BV", 6, None, 5),
        ):
            self.add("res.company", company_id, {
                "name": name, "sequence": sequence, "partner_id": partner_id, "currency_id": eur,
                "country_id": 165, "vat": vat, "email": None, "fiscalyear_lock_date": None,
                "period_lock_date": None, "tax_lock_date": None,
                "tax_calculation_rounding_method": "round_per_line",
                "account_journal_suspense_account_id": codes[company_id][self.data["suspense_code"]],
                "property_account_payable_id": codes[company_id]["130000"],
                "property_account_receivable_id": codes[company_id]["110000"],
                "account_purchase_tax_id": self.data["purchase_tax"] + (0 if company_id == 1 else self.data["tax_offset"]),
                "parent_id": None, "active": True,
            })
        for company_id, offset in ((1, 0), (2, 7)):
            for index, (journal_id, name, code, journal_type, default_account) in enumerate(chart["journals"]):
                self.add("account.journal", journal_id + offset, {
                    "name": name, "code": code, "type": journal_type, "company_id": company_id,
                    "default_account_id": default_account + (offset_accounts if company_id == 2 else 0)
                    if default_account else None,
                    "suspense_account_id": None, "currency_id": None, "active": True, "sequence": index + 1,
                })
        for company_id in (1, 2):
            tax_offset = self.data["tax_offset"] if company_id == 2 else 0
            rep_offset = self.data["repartition_offset"] if company_id == 2 else 0
            for index, (tax_id, name, description, amount, included, group, reps) in enumerate(chart["taxes"]):
                self.add("account.tax.group", group[0], {"name": group[1], "sequence": group[0], "company_id": None})
                account_codes = seed.tax_accounts(self.version, name, description, amount, len(reps))
                rep_ids = [rep + rep_offset for rep in reps]
                self.add("account.tax", tax_id + tax_offset, {
                    "name": name, "description": description, "amount": amount, "amount_type": "percent",
                    "price_include": included, "active": True, "company_id": company_id,
                    "tax_group_id": group[0], "type_tax_use": "purchase", "sequence": index + 1,
                    "include_base_amount": False, "tax_scope": None,
                    "invoice_repartition_line_ids": rep_ids, "refund_repartition_line_ids": [],
                })
                self.add("account.tax.repartition.line", rep_ids[0], {
                    "factor_percent": 100.0, "repartition_type": "base", "account_id": None,
                    "invoice_tax_id": tax_id + tax_offset, "refund_tax_id": None, "company_id": company_id,
                    "sequence": 1,
                })
                for position, (rep_id, code) in enumerate(zip(rep_ids[1:], account_codes)):
                    self.add("account.tax.repartition.line", rep_id, {
                        "factor_percent": 100.0 if position == 0 else -100.0, "repartition_type": "tax",
                        "account_id": codes[company_id][code], "invoice_tax_id": tax_id + tax_offset,
                        "refund_tax_id": None, "company_id": company_id, "sequence": position + 2,
                    })

    def _analytic(self):
        for plan_id, name in self.data["plans"]:
            values = {"name": name, "parent_id": None, "default_applicability": "optional", "sequence": 10,
                      "color": plan_id}
            if self.version == 16:
                values["company_id"] = 1
            self.add("account.analytic.plan", plan_id, values)
        for account_id, name, plan_id in self.data["analytic_accounts"]:
            self.add("account.analytic.account", account_id, {
                "name": name, "code": None, "plan_id": plan_id, "root_plan_id": plan_id, "company_id": 1,
                "active": True, "partner_id": None,
            })

    def _people(self):
        inactive = {2, 4, 5, 9}
        for index, name in enumerate(self.data["partners"], start=1):
            self.add("res.partner", index, {
                "name": name, "vat": "NL004495445B01" if index == 1 else None, "is_company": name.endswith(" BV"),
                "supplier_rank": 0, "customer_rank": 0, "email": None, "phone": None, "street": None,
                "city": None, "zip": None, "country_id": 165 if name.endswith(" BV") else None,
                "company_id": None, "parent_id": None, "active": index not in inactive,
                "type": "private" if "private" in name else "contact", "ref": None, "comment": None,
                "company_registry": None,
            })
        all_groups = [group_id for group_id, _, _ in seed.GROUPS[self.version]
                      if group_id not in (9, 10)]
        users = [
            (1, "OdooBot", "__system__", 2, False, all_groups, [1, 2]),
            (2, "Administrator", "admin", 3, True, all_groups, [1, 2]),
            (6, "Pleo Integration", "pleo@example.com", 7, True, seed.USER_GROUPS[self.version][6], [2, 1]),
            (7, "Bookkeeper Without Accounting", "norights@example.com", 8, True,
             seed.USER_GROUPS[self.version][7], [1]),
        ]
        for uid, name, login, partner_id, active, groups, companies in users:
            self.add("res.users", uid, {
                "name": name, "login": login, "email": login if "@" in login else f"{login}@example.com",
                "active": active, "share": False, "company_id": 1, "company_ids": companies,
                "groups_id": list(groups), "partner_id": partner_id,
            })
        employees = [
            (1, "Administrator", "admin@example.com", 3, 2, 3),
            (2, "Sanne de Vries", "sanne@example.com", self.data["sanne_contact"], None, self.data["sanne_home"]),
        ]
        for employee_id, name, email, contact, user_id, home in employees:
            values = {"name": name, "work_email": email, "work_contact_id": contact, "company_id": 1,
                      "active": True, "user_id": user_id, "job_title": None, "mobile_phone": None}
            if self.version == 16:
                values["address_home_id"] = home
            self.add("hr.employee", employee_id, values)

    def _api_keys(self, name, created_at):
        # Odoo stores a key's hash with these fields; the keys themselves are EmulatedApiKey rows.
        for record_id, uid in enumerate(LOGINS, start=1):
            self.add("res.users.apikeys", record_id, {
                "name": name, "user_id": uid, "scope": None, "create_date": created_at.strftime("%Y-%m-%d %H:%M:%S"),
            })


# --- test helpers --------------------------------------------------------------------------------
def emulated_api_key(*, database: EmulatedDatabase, uid: int) -> str:
    return EmulatedApiKey.objects.get(database=database, uid=uid).key


def _record(database, model, record_id) -> EmulatedRecord:
    return EmulatedRecord.objects.select_for_update().get(database=database, model=model, record_id=record_id)


@transaction.atomic
def emulated_user_groups_set(
    *, database: EmulatedDatabase, uid: int, add: list[str] = (), remove: list[str] = ()
) -> list[int]:
    """Grants or withdraws groups by xml id (e.g. "account.group_account_manager"); returns the group ids."""
    by_xmlid = {
        f"{v['module']}.{v['name']}": v["res_id"]
        for v in EmulatedRecord.objects.filter(database=database, model="ir.model.data").values_list("values", flat=True)
        if v["model"] == "res.groups"
    }
    user = _record(database, "res.users", uid)
    groups = list(user.values["groups_id"])
    for xmlid in add:
        if by_xmlid[xmlid] not in groups:
            groups.append(by_xmlid[xmlid])
    for xmlid in remove:
        if by_xmlid[xmlid] in groups:
            groups.remove(by_xmlid[xmlid])
    user.values = {**user.values, "groups_id": groups}
    user.save(update_fields=["values"])
    return groups


@transaction.atomic
def emulated_company_lock_date_set(
    *, database: EmulatedDatabase, company_id: int, fiscalyear_lock_date: datetime.date | None = None,
    period_lock_date: datetime.date | None = None,
) -> None:
    company = _record(database, "res.company", company_id)
    company.values = {
        **company.values,
        "fiscalyear_lock_date": fiscalyear_lock_date.isoformat() if fiscalyear_lock_date else None,
        "period_lock_date": period_lock_date.isoformat() if period_lock_date else None,
    }
    company.save(update_fields=["values"])


@transaction.atomic
def emulated_ids_skip(*, database: EmulatedDatabase, model: str, next_id: int) -> None:
    """History not replayed used up ids: the next `model` record gets `next_id` (PostgreSQL's setval)."""
    database = EmulatedDatabase.objects.select_for_update().get(pk=database.pk)
    if next_id < database.sequences.get(model, 1):
        raise ValueError(f"{model} ids up to {database.sequences[model] - 1} are used already")
    database.sequences = {**database.sequences, model: next_id}
    database.save(update_fields=["sequences"])


def emulated_record_values(*, database: EmulatedDatabase, model: str, record_id: int) -> dict | None:
    """The stored values of one record (money as strings), for assertions in tests."""
    row = EmulatedRecord.objects.filter(database=database, model=model, record_id=record_id).first()
    return row.values if row else None


def emulated_fault_add(
    *, database: EmulatedDatabase, kind: str, service: str = "", model: str = "", method: str = "",
    count: int = 1, seconds: float = 0, after_commit: bool = False, stays_down: bool = False,
) -> EmulatedFault:
    """Makes the next `count` matching calls fail as `kind` (see FaultKind); empty matchers match anything.

    `after_commit`: the call is performed and committed first, so only its answer is lost.
    `stays_down`: from then on every call fails as `kind` until `emulated_faults_clear` (an outage).
    """
    fault = EmulatedFault(database=database, kind=kind, service=service, model=model, method=method,
                          count=count, seconds=seconds, after_commit=after_commit, stays_down=stays_down)
    fault.full_clean()
    fault.save()
    return fault


def emulated_faults_clear(*, database: EmulatedDatabase) -> int:
    """Odoo is back: every pending fault and outage of the database is gone."""
    return EmulatedFault.objects.filter(database=database).delete()[0]


@transaction.atomic
def _fault_take(database_name, service, model, method) -> EmulatedFault | None:
    if not database_name:
        return None
    candidates = EmulatedFault.objects.select_for_update().filter(database__name=database_name, count__gt=0)
    for fault in candidates:
        if (not fault.service or fault.service == service) and (not fault.model or fault.model == model) and (
            not fault.method or fault.method == method
        ):
            fault.count -= 1
            if fault.count:
                fault.save(update_fields=["count"])
            else:
                fault.delete()
            if fault.stays_down:
                EmulatedFault.objects.create(database=fault.database, kind=fault.kind, count=OUTAGE_CALLS,
                                             seconds=fault.seconds)
            return fault
    return None


# --- JSON-RPC -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RpcResponse:
    status: int
    content_type: str
    body: bytes
    sleep_seconds: float = 0
    # The answer never arrives whole: "connection_reset" or "read_timeout" (see sandbox.transport).
    broken: str = ""


class OdooServer:
    """What the dispatcher needs from storage: databases by name, the version to announce, keys."""

    def __init__(self, pinned_database: str | None):
        self.pinned = pinned_database
        self._databases = {}

    def database(self, name):
        if name not in self._databases:
            self._databases[name] = EmulatedDatabase.objects.filter(name=name).first()
        return self._databases[name]

    def database_names(self):
        return list(EmulatedDatabase.objects.order_by("name").values_list("name", flat=True))

    def version(self) -> int:
        if self.pinned:
            database = self.database(self.pinned)
            if database:
                return database.version
        newest = EmulatedDatabase.objects.order_by("-created_at", "-id").first()
        return newest.version if newest else 17

    def authenticate(self, database, *, login, key):
        match = EmulatedApiKey.objects.filter(database=database, key=key).values_list("uid", flat=True).first()
        if match is None:
            return False
        user = EmulatedRecord.objects.filter(database=database, model="res.users", record_id=match).first()
        if user is None or user.values.get("login") != login or not user.values.get("active"):
            return False
        return match

    def check_key(self, database, *, uid, key):
        return EmulatedApiKey.objects.filter(database=database, uid=uid, key=key).exists()


def _json(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def rpc_handle(body: bytes, *, pinned_database: str | None = None) -> RpcResponse:
    """Answers one POST to /jsonrpc the way Odoo does: HTTP 200, `result` or an Odoo error object."""
    try:
        request = json.loads(body or b"null")
        params = request.get("params") or {}
        service, method, args = params.get("service"), params.get("method"), list(params.get("args") or [])
        request_id = request.get("id")
    except (ValueError, AttributeError):
        return RpcResponse(400, "text/html", b"<html><body><h1>Bad Request</h1></body></html>")

    db_name = args[0] if service in ("common", "object") and method != "version" and args else None
    if service == "common" and method in ("version", "about"):
        db_name = pinned_database
    model = args[3] if service == "object" and len(args) > 4 else ""
    model_method = args[4] if service == "object" and len(args) > 4 else method
    fault = _fault_take(db_name, service, model, model_method) if isinstance(db_name, str) else None
    if fault and fault.kind not in (FaultKind.AFTER_COMMIT_ERROR, FaultKind.DELAY) and not fault.after_commit:
        return _fault_response(fault, request_id)

    server = OdooServer(pinned_database)
    try:
        with transaction.atomic():
            database = server.database(db_name) if service == "object" and isinstance(db_name, str) else None
            if database is not None:
                # One call at a time per database, like Odoo's serialized writes on the same rows.
                EmulatedDatabase.objects.select_for_update().filter(pk=database.pk).first()
                database.refresh_from_db(fields=["sequences"])
            result, env = dispatch(service, method, args, server=server)
            if env is not None:
                env.flush()
    except errors.OdooServerError as exc:
        _keep_used_ids(getattr(exc, "env", None))
        payload = {"jsonrpc": "2.0", "id": request_id, "error": error_payload(exc)}
        return RpcResponse(200, "application/json", _json(payload))
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        logger.warning("sandbox odoo: malformed call %s.%s: %s", service, method, type(exc).__name__)
        wrapped = errors.TypeError_(str(exc)) if isinstance(exc, TypeError) else errors.ValueError_(str(exc))
        payload = {"jsonrpc": "2.0", "id": request_id, "error": error_payload(wrapped)}
        return RpcResponse(200, "application/json", _json(payload))

    payload = {"jsonrpc": "2.0", "id": request_id}
    if result is not None:
        payload["result"] = result
    if fault and fault.kind == FaultKind.DELAY:  # slow, but the answer comes (the sleep holds no lock)
        return RpcResponse(200, "application/json", _json(payload), sleep_seconds=fault.seconds)
    if fault and fault.after_commit:  # the work is done and committed, the answer is lost
        return _fault_response(fault, request_id)
    if fault:  # after_commit_error: the work is done and committed, the answer is lost
        return RpcResponse(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>")
    return RpcResponse(200, "application/json", _json(payload))


def _keep_used_ids(env):
    """A refused create still used up its ids in Odoo (PostgreSQL sequences ignore rollbacks)."""
    if env is None:
        return
    with transaction.atomic():
        database = EmulatedDatabase.objects.select_for_update().get(pk=env.database.pk)
        merged = dict(database.sequences)
        for model, next_id in env.sequences.items():
            merged[model] = max(merged.get(model, 1), next_id)
        database.sequences = merged
        database.save(update_fields=["sequences"])


def _fault_response(fault: EmulatedFault, request_id=None) -> RpcResponse:
    if fault.kind == FaultKind.CONNECTION_RESET:
        return RpcResponse(200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "resu', broken="connection_reset")
    if fault.kind == FaultKind.READ_TIMEOUT:
        return RpcResponse(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
                           sleep_seconds=fault.seconds, broken="read_timeout")
    if fault.kind == FaultKind.ACCESS_DENIED:
        payload = {"jsonrpc": "2.0", "id": request_id, "error": error_payload(errors.AccessDenied())}
        return RpcResponse(200, "application/json", _json(payload))
    if fault.kind == FaultKind.TIMEOUT:
        return RpcResponse(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
                           sleep_seconds=fault.seconds)
    if fault.kind == FaultKind.HTTP_502:
        return RpcResponse(502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")
    if fault.kind == FaultKind.HTTP_503:
        return RpcResponse(503, "text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>")
    if fault.kind == FaultKind.HTML_PAGE:
        return RpcResponse(200, "text/html", b"<!DOCTYPE html><html><head><title>Odoo</title></head>"
                                             b"<body>Maintenance in progress</body></html>")
    return RpcResponse(200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "resu')


# --- web routes beside /jsonrpc -------------------------------------------------------------------
# The first version answering JSON on each route: Odoo 19 serves JSON-2 and /web/version (v19-json2/01, 02).
# Before it both answer an HTML 404 page (v16/118, v16/119, v17/118, v17/119): only a JSON answer means JSON-2.
JSON_ROUTES_SINCE = {"json-2": 19, "web-version": 19}
NOT_FOUND_PAGE = (
    b'<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="utf-8"/>\n        <title>Odoo</title>\n    </head>\n'
    b'    <body>\n        <h1>404: Page not found</h1>\n    </body>\n</html>\n'
)


def web_route_handle(*, route: str, pinned_database: str) -> RpcResponse:
    """Answers `route` ("json-2" or "web-version") the way the database's Odoo version does."""
    version = OdooServer(pinned_database).version()
    if version < JSON_ROUTES_SINCE[route]:
        return RpcResponse(404, "text/html;charset=utf-8", NOT_FOUND_PAGE)
    # Only 16 and 17 are emulated; a newer version must bring its JSON answers here rather than a 404.
    raise NotImplementedError(f"Odoo {version} answers {route} with JSON, which the emulator does not serve yet")
