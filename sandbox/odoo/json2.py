"""Odoo 19's JSON-2 API over the emulator's engine: `POST /json/2/<model>/<method>` (contract folder v19-json2/).

The request is a JSON object of named arguments: `ids` are the records the method acts on, `context` its context
(e.g. `{"allowed_company_ids": [1]}`), everything else the method's keyword arguments. The answer is the bare
result (`null` for None), or an error body `{"name", "message", "arguments", "context", "debug"}` with a real
HTTP status (README "JSON-2 (Odoo 19)"). The methods and their refusals are the engine's (`engine.rpc`, the same
as for JSON-RPC's execute_kw); this module only translates. Database choice, faults and the transaction are
`services.json2_handle`'s, shared with JSON-RPC.
"""
import json

from sandbox.odoo.engine import errors, rpc
from sandbox.odoo.engine.schema import MODELS

__all__ = [
    "CONTENT_TYPE",
    "SINCE_VERSION",
    "NO_DATABASE_PAGE",
    "database_name",
    "bearer_key",
    "unknown_key",
    "post_only",
    "named_arguments",
    "perform",
    "status_of",
    "error_body",
    "result_body",
    "web_version",
]

CONTENT_TYPE = "application/json; charset=utf-8"
SINCE_VERSION = 19
# Werkzeug's 404 for a database the dispatcher cannot select (v19-json2/04): HTML, not JSON.
NO_DATABASE_PAGE = (
    b"<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested "
    b"URL was not found in the server-wide controllers.</p>\n<p>Please verify the hostname, <a href=/web/login>login"
    b"</a> and try again.</p>\n\n<!-- Alternatively, use the X-Odoo-Database header. -->\n"
)
NOT_AUTHENTICATED = "User not authenticated, use an API Key with a Bearer Authorization header."  # v19-json2/05b
INVALID_KEY = "Invalid apikey"  # v19-json2/03, 05
POST_ONLY = "Did you mean POST /json/2/<model>/<method>?"  # v19-json2/62e


def database_name(headers, pinned_database: str | None) -> str | None:
    """`X-Odoo-Database` chooses the database; without it the one the server has (here: the URL's, v19-json2/04b)."""
    return headers.get("X-Odoo-Database") or pinned_database


def bearer_key(headers) -> str:
    """The API key of `Authorization: bearer <key>`; without one, Unauthorized (v19-json2/05b)."""
    scheme, _, key = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise errors.Unauthorized(NOT_AUTHENTICATED)
    return key.strip()


def unknown_key() -> errors.Unauthorized:
    return errors.Unauthorized(INVALID_KEY)


def post_only() -> errors.NotFound:
    return errors.NotFound(POST_ONLY)


def named_arguments(body: bytes) -> tuple[list, dict, dict]:
    """(ids, context, the method's keyword arguments) of a request body."""
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        raise errors.BadRequest("Invalid JSON data") from None
    if not isinstance(params, dict):
        raise errors.BadRequest("Invalid JSON data: a JSON object of named arguments is expected")
    ids = params.pop("ids", None) or []
    context = params.pop("context", None) or {}
    if isinstance(ids, int) and not isinstance(ids, bool):
        ids = [ids]
    if not isinstance(ids, list) or not isinstance(context, dict):
        raise errors.BadRequest("Invalid JSON data: 'ids' must be a list of ids and 'context' an object")
    return ids, context, params


def perform(database, uid: int, model: str, method: str, ids: list, context: dict, kwargs: dict):
    """Calls `model.method` on `ids` as `uid`, the engine's way. Returns (result, env); env is to be flushed.

    Like Odoo's JSON-2 controller: an unknown model or method is a NotFound (v19-json2/60, 61), a private method the
    engine's AccessError (62, 62b); a method of records gets `ids` first, a model method ignores them (Odoo calls it
    on the browsed records, which it does not look at).
    """
    if model not in MODELS:
        raise errors.NotFound(f"the model '{model}' does not exist")
    env = rpc.model_env(database, uid, context)
    try:
        try:
            handler = rpc.model_method(env, model, method)
        except errors.AttributeError_ as exc:
            raise errors.NotFound(exc.message) from None
        args = [ids] if rpc.takes_ids(handler) else []
        return rpc.call_method(env, model, method, handler, args, kwargs), env
    except errors.OdooServerError as exc:
        exc.env = env  # the caller keeps the ids this failed call used up
        raise


def status_of(exc: errors.OdooServerError) -> int:
    """JSON-2's HTTP status of an error (README "JSON-2", error table)."""
    if isinstance(exc, errors.HttpError):
        return exc.code
    if isinstance(exc, errors.AccessDenied):
        return 401
    if isinstance(exc, errors.AccessError):
        return 403
    if isinstance(exc, errors.MissingError):
        return 404
    if isinstance(exc, (errors.UserError, errors.ValidationError, errors.RedirectWarning)):
        return 422
    return 500


def _json(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def error_body(exc: errors.OdooServerError) -> bytes:
    if isinstance(exc, errors.AccessDenied):  # a key refused on the way in: JSON-2 says so as werkzeug's 401
        exc = unknown_key()
    return _json(errors.error_data(exc))


def result_body(result) -> bytes:
    """The bare result: `null` for a method that returns nothing (v19-json2/46, 65)."""
    return _json(result)


def web_version(version: int) -> dict:
    """`GET /web/version` (v19-json2/01)."""
    server = rpc.SERVER_VERSIONS[version]
    return {"version_info": server["server_version_info"], "version": server["server_version"]}
