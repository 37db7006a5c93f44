"""Emulated Odoo state: creating and seeding databases, test helpers, faults, and answering JSON-RPC and JSON-2."""
import datetime
import json
import logging
from dataclasses import dataclass, replace
from urllib.parse import quote

from django.db import transaction
from django.utils.datastructures import CaseInsensitiveMapping

from sandbox.odoo import json2, seed
from sandbox.odoo.engine import errors
from sandbox.odoo.engine.errors import error_payload
from sandbox.odoo.engine.rpc import SERVER_VERSIONS, dispatch
from sandbox.odoo.engine.schema import groups_field
from sandbox.odoo.models import EmulatedApiKey, EmulatedDatabase, EmulatedFault, EmulatedRecord, FaultKind
from sandbox.odoo.seeder import Seeder

__all__ = [
    "DEFAULT_API_KEYS",
    "LOGINS",
    "LOGINS_BY_VERSION",
    "emulated_uid",
    "RpcResponse",
    "emulated_database_create",
    "emulated_api_key",
    "emulated_user_groups_set",
    "emulated_company_lock_date_set",
    "LOCK_DATE_FIELDS",
    "emulated_ids_skip",
    "emulated_fault_add",
    "emulated_faults_clear",
    "emulated_record_values",
    "rpc_handle",
    "web_route_handle",
    "json2_handle",
]

logger = logging.getLogger(__name__)

OUTAGE_CALLS = 1_000_000  # "every call until cleared" for a fault that stays down

# uid -> login per Odoo version: the integration user is uid 6 in 16-18, 5 in 19 (v19/02); LOGINS is 16 and 17's.
LOGINS_BY_VERSION = {version: seed.logins(version) for version in seed.VERSIONS}
LOGINS = LOGINS_BY_VERSION[17]
# Known default keys so tests and the demo can log in; pass api_keys to choose others.
DEFAULT_API_KEYS = {
    "admin": "sandbox-admin-key-0000000000000000000000",
    "pleo@example.com": "sandbox-pleo-key-00000000000000000000000",
    "norights@example.com": "sandbox-norights-key-000000000000000000",
}


def emulated_uid(*, version: int, login: str) -> int:
    """The uid of a recorded user (`login` as in DEFAULT_API_KEYS) in an emulated database of `version`."""
    return {name: uid for uid, name in LOGINS_BY_VERSION[version].items()}[login]


# --- seeding ------------------------------------------------------------------------------------
@transaction.atomic
def emulated_database_create(
    *, name: str, version: int, api_keys: dict[str, str] | None = None, today: datetime.date | None = None,
    api_key_name: str = "sandbox", api_keys_created_at: datetime.datetime | None = None,
    api_keys_expire_at: datetime.datetime | None = None,
) -> EmulatedDatabase:
    """A database seeded like the recorded ones: two Dutch companies, chart, taxes, the recorded users.

    `version` is 16, 17, 18 or 19. `api_keys` maps a login to its key (defaults: DEFAULT_API_KEYS); `today` pins
    Odoo's date. Each user's key is a `res.users.apikeys` record named `api_key_name`, made at
    `api_keys_created_at` (UTC, default now); from 18 keys carry `expiration_date`: `api_keys_expire_at` (UTC,
    default none). The users' uids differ per version: see LOGINS_BY_VERSION and emulated_uid.
    """
    if version not in seed.VERSIONS:
        raise ValueError(f"version must be one of {', '.join(map(str, seed.VERSIONS))}")
    database = EmulatedDatabase.objects.create(name=name, version=version, today=today)
    created_at = api_keys_created_at or datetime.datetime.now(datetime.timezone.utc)
    rows = Seeder(database, version).rows(
        api_key_name=api_key_name, api_keys_created_at=created_at, api_keys_expire_at=api_keys_expire_at)
    EmulatedRecord.objects.bulk_create(rows, batch_size=500)
    keys = {**DEFAULT_API_KEYS, **(api_keys or {})}
    EmulatedApiKey.objects.bulk_create([
        EmulatedApiKey(database=database, uid=uid, key=keys[login]) for uid, login in LOGINS_BY_VERSION[version].items()
    ])
    return database


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
        for v in EmulatedRecord.objects.filter(database=database, model="ir.model.data")
            .values_list("values", flat=True)
        if v["model"] == "res.groups"
    }
    user = _record(database, "res.users", uid)
    field = groups_field(database.version)  # groups_id, group_ids in 19 (v19/07)
    groups = list(user.values[field])
    for xmlid in add:
        if by_xmlid[xmlid] not in groups:
            groups.append(by_xmlid[xmlid])
    for xmlid in remove:
        if by_xmlid[xmlid] in groups:
            groups.remove(by_xmlid[xmlid])
    user.values = {**user.values, field: groups}
    user.save(update_fields=["values"])
    return groups


LOCK_DATE_FIELDS = {
    # 18 replaced the period lock by a lock per journal type and an irreversible hard lock (v18/11, v18/11-as-17).
    16: ("fiscalyear_lock_date", "period_lock_date", "tax_lock_date"),
    17: ("fiscalyear_lock_date", "period_lock_date", "tax_lock_date"),
    18: ("fiscalyear_lock_date", "tax_lock_date", "sale_lock_date", "purchase_lock_date", "hard_lock_date"),
    19: ("fiscalyear_lock_date", "tax_lock_date", "sale_lock_date", "purchase_lock_date", "hard_lock_date"),
}


@transaction.atomic
def emulated_company_lock_date_set(
    *, database: EmulatedDatabase, company_id: int, fiscalyear_lock_date: datetime.date | None = None,
    period_lock_date: datetime.date | None = None, **other_lock_dates: datetime.date | None,
) -> None:
    """Sets the company's lock dates given (fiscalyear and, up to 17, period: cleared when None); which exist depends
    on the version (LOCK_DATE_FIELDS).

    16 and 17: fiscalyear_lock_date, period_lock_date, tax_lock_date; from 18: fiscalyear_lock_date,
    tax_lock_date, sale_lock_date, purchase_lock_date, hard_lock_date.
    """
    dates = {"fiscalyear_lock_date": fiscalyear_lock_date, **other_lock_dates}
    if period_lock_date is not None or database.version < 18:
        dates["period_lock_date"] = period_lock_date
    fields = LOCK_DATE_FIELDS[database.version]
    unknown = sorted(set(dates) - set(fields))
    if unknown:
        raise ValueError(f"Odoo {database.version} has no {', '.join(unknown)} on res.company")
    company = _record(database, "res.company", company_id)
    company.values = {
        **company.values, **{field: date.isoformat() if date else None for field, date in dates.items()},
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
    headers: tuple[tuple[str, str], ...] = ()  # more response headers, e.g. a redirect's Location


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

    def uid_of_key(self, database, *, key) -> int | None:
        """Whose key this is (JSON-2 has no login: the bearer key names the user), None for no active user's."""
        match = EmulatedApiKey.objects.filter(database=database, key=key).values_list("uid", flat=True).first()
        if match is None:
            return None
        user = EmulatedRecord.objects.filter(database=database, model="res.users", record_id=match).first()
        return match if user is not None and user.values.get("active") else None


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
    server = OdooServer(pinned_database)

    def lost(fault):
        return _fault_response(fault, request_id, version=_error_version(server, db_name))

    if _fails_before_the_call(fault):
        return lost(fault)
    database = server.database(db_name) if service == "object" and isinstance(db_name, str) else None
    try:
        result = _perform(database, lambda: dispatch(service, method, args, server=server), label=f"{service}.{method}")
    except errors.OdooServerError as exc:
        error = error_payload(exc, version=_error_version(server, db_name))
        return RpcResponse(200, "application/json", _json({"jsonrpc": "2.0", "id": request_id, "error": error}))
    payload = {"jsonrpc": "2.0", "id": request_id}
    if result is not None:
        payload["result"] = result
    return _after_the_call(fault, RpcResponse(200, "application/json", _json(payload)), lost)


def _fails_before_the_call(fault) -> bool:
    return bool(fault) and fault.kind not in (FaultKind.AFTER_COMMIT_ERROR, FaultKind.DELAY) and not fault.after_commit


def _perform(database, call, *, label: str = ""):
    """Runs `call` (-> (result, env)) as one transaction of `database` and returns its result; nothing of a failed
    call stays but the ids it used up. A call that does not fit Odoo's shapes becomes Odoo's TypeError/ValueError."""
    try:
        with transaction.atomic():
            if database is not None:
                # One call at a time per database, like Odoo's serialized writes on the same rows.
                EmulatedDatabase.objects.select_for_update().filter(pk=database.pk).first()
                database.refresh_from_db(fields=["sequences"])
            result, env = call()
            if env is not None:
                env.flush()
            return result
    except errors.OdooServerError as exc:
        _keep_used_ids(getattr(exc, "env", None))
        raise
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        logger.warning("sandbox odoo: malformed call %s: %s", label, type(exc).__name__)
        raise (errors.TypeError_(str(exc)) if isinstance(exc, TypeError) else errors.ValueError_(str(exc))) from None


def _after_the_call(fault, answer: RpcResponse, lost) -> RpcResponse:
    """The answer of a call that went through, as a fault taken for it leaves it."""
    if fault and fault.kind == FaultKind.DELAY:  # slow, but the answer comes (the sleep holds no lock)
        return replace(answer, sleep_seconds=fault.seconds)
    if fault and fault.after_commit:  # the work is done and committed, the answer is lost
        return lost(fault)
    if fault:  # after_commit_error: the work is done and committed, the answer is lost
        return RpcResponse(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>")
    return answer


def _error_version(server, db_name) -> int:
    """The version whose error shape answers: the called database's, else the one `common.version` announces."""
    database = server.database(db_name) if isinstance(db_name, str) else None
    return database.version if database is not None else server.version()


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


def _fault_response(fault: EmulatedFault, request_id=None, *, version: int = 17) -> RpcResponse:
    if fault.kind == FaultKind.CONNECTION_RESET:
        return RpcResponse(200, "application/json", b'{"jsonrpc": "2.0", "id": 1, "resu', broken="connection_reset")
    if fault.kind == FaultKind.READ_TIMEOUT:
        return RpcResponse(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
                           sleep_seconds=fault.seconds, broken="read_timeout")
    if fault.kind == FaultKind.ACCESS_DENIED:
        payload = {"jsonrpc": "2.0", "id": request_id, "error": error_payload(errors.AccessDenied(), version=version)}
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
# Before it both answer an HTML 404 page (v16/118, v16/119, v17/118, v17/119, v18/119), except that 18 redirects
# a JSON-2 call to its login page (v18/118): only a JSON answer means JSON-2. The web client's version_info route
# (JSON-RPC style, v19-json2/01b) is as old as the web client.
JSON_ROUTES_SINCE = {"json-2": json2.SINCE_VERSION, "web-version": 19, "webclient-version-info": 16}
JSON2_REDIRECTS_TO_LOGIN = {18}
NOT_FOUND_PAGE = (
    b'<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="utf-8"/>\n        <title>Odoo</title>\n    </head>\n'
    b'    <body>\n        <h1>404: Page not found</h1>\n    </body>\n</html>\n'
)
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en-US">\n    <head>\n        <meta charset="utf-8"/>\n'
    b'        <title>Login | Odoo</title>\n'
    b'    </head>\n    <body>\n        <form class="oe_login_form" role="form" method="post">\n'
    b'            <input type="text" name="login" id="login"/>\n            <input type="password" name="password"/>\n'
    b'            <button type="submit">Log in</button>\n        </form>\n    </body>\n</html>\n'
)


def _redirect_page(location: str) -> bytes:
    # Werkzeug's redirect body, as v18/118 recorded it.
    return (
        '<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n'
        f'<p>You should be redirected automatically to the target URL: <a href="{location}">{location}</a>. '
        'If not, click the link.\n'
    ).encode("utf-8")


def web_route_handle(
    *, route: str, pinned_database: str, path: str = "", base_url: str = "", method: str = "POST",
    headers=None, body: bytes = b"", model: str = "", model_method: str = "",
) -> RpcResponse:
    """Answers `route` ("json-2", "web-version", "webclient-version-info" or "web-login") the way the database's
    Odoo version does.

    `path` is the Odoo path of the request (e.g. "/json/2/res.users/context_get"), `base_url` the emulated
    server's root (e.g. "/sandbox/odoo/db18"), which a redirect's Location starts with. A JSON-2 call
    (`model`/`model_method`) comes with its HTTP `method`, `headers` (Authorization, X-Odoo-Database) and `body`.
    """
    server = OdooServer(pinned_database)
    version = server.version()
    if route == "web-login":
        return RpcResponse(200, "text/html; charset=utf-8", LOGIN_PAGE)
    if route == "json-2" and version in JSON2_REDIRECTS_TO_LOGIN:
        # 18 has no JSON-2: a bearer call is a web request without session, sent to the login page (v18/118).
        location = f"{base_url}/web/login?redirect={quote(path + '?', safe='')}"
        return RpcResponse(303, "text/html; charset=utf-8", _redirect_page(location), headers=(("Location", location),))
    if version < JSON_ROUTES_SINCE[route]:
        return RpcResponse(404, "text/html;charset=utf-8", NOT_FOUND_PAGE)
    if route == "web-version":
        return RpcResponse(200, json2.CONTENT_TYPE, _json(json2.web_version(version)))
    if route == "webclient-version-info":
        return _webclient_version_info(body, version)
    return json2_handle(server=server, method=method, headers=headers or {}, body=body, model=model,
                        model_method=model_method)


def _webclient_version_info(body: bytes, version: int) -> RpcResponse:
    """The web client's JSON-RPC route: what `common.version` gives (v19-json2/01b)."""
    try:
        request_id = json.loads(body or b"{}").get("id")
    except (ValueError, AttributeError):
        return RpcResponse(400, "text/html", b"<html><body><h1>Bad Request</h1></body></html>")
    payload = {"jsonrpc": "2.0", "id": request_id, "result": SERVER_VERSIONS[version]}
    return RpcResponse(200, json2.CONTENT_TYPE, _json(payload))


# --- JSON-2 (Odoo 19) ------------------------------------------------------------------------------
def json2_handle(
    *, server: OdooServer, method: str, headers, body: bytes, model: str, model_method: str,
) -> RpcResponse:
    """Answers one call to /json/2/<model>/<method> (sandbox.odoo.json2 translates), as one transaction.

    Faults apply as to JSON-RPC object calls: a fault for service "object" (or any) and this model and method.
    """
    headers = CaseInsensitiveMapping(dict(headers))
    db_name = json2.database_name(headers, server.pinned)
    database = server.database(db_name) if db_name else None
    if database is None or database.version < json2.SINCE_VERSION:
        return RpcResponse(404, "text/html; charset=utf-8", json2.NO_DATABASE_PAGE)

    def refused(exc):
        return RpcResponse(json2.status_of(exc), json2.CONTENT_TYPE, json2.error_body(exc))

    def lost(fault):
        if fault.kind == FaultKind.ACCESS_DENIED:
            return refused(errors.AccessDenied())
        return _fault_response(fault, version=database.version)

    if method.upper() != "POST":
        return refused(json2.post_only())
    fault = _fault_take(db_name, "object", model, model_method)
    if _fails_before_the_call(fault):
        return lost(fault)
    try:
        uid = server.uid_of_key(database, key=json2.bearer_key(headers))
        if uid is None:
            raise json2.unknown_key()
        ids, context, kwargs = json2.named_arguments(body)
        result = _perform(database, lambda: json2.perform(database, uid, model, model_method, ids, context, kwargs),
                          label=f"json-2 {model}.{model_method}")
    except errors.OdooServerError as exc:
        return refused(exc)
    return _after_the_call(fault, RpcResponse(200, json2.CONTENT_TYPE, json2.result_body(result)), lost)
