"""Odoo 19's JSON-2 API behind `OdooClient`'s public methods: `POST <url>/json/2/<model>/<method>`.

Each call sends `Authorization: bearer <key>` and `X-Odoo-Database: <db>`, a JSON object of named
arguments, and gets the bare result back; errors come with a real HTTP status and a JSON body
`{"name", "message", "arguments", "context", "debug"}` (/work/shared/odoo-contract, `v19-json2/`).

`named_arguments` turns the positional JSON-RPC shapes callers pass to `execute_kw` into named
arguments; `Json2Calls` is the part of `OdooClient` that sends them (the retry loop, the handling of
time-outs, gateways and 429 are `transport.OdooTransport`'s, shared with JSON-RPC).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import requests

from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooProtocolError,
    OdooServerError,
    OdooUserError,
    error_for_odoo_exception,
)

__all__ = ["JSONRPC", "JSON2", "PROTOCOLS", "named_arguments", "Json2Calls"]

JSONRPC = "json-rpc"
JSON2 = "json-2"
PROTOCOLS = (JSONRPC, JSON2)

# method -> (whether the first positional argument holds the record ids, names of the positional
# arguments that follow), as Odoo 19 names them. Only signatures seen in the recordings or unchanged
# since 16; any other method may be called with its record ids alone, or with named kwargs.
_SIGNATURES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "search_read": (False, ("domain", "fields", "offset", "limit", "order")),
    "search": (False, ("domain", "offset", "limit", "order")),
    "search_count": (False, ("domain", "limit")),
    "create": (False, ("vals_list",)),
    "fields_get": (False, ("allfields", "attributes")),
    "context_get": (False, ()),
    "read": (True, ("fields", "load")),
    "write": (True, ("vals",)),
    "copy": (True, ("default",)),
    "unlink": (True, ()),
    "action_post": (True, ()),
    "button_draft": (True, ()),
    "button_cancel": (True, ()),
    "reconcile": (True, ()),
    "message_post": (True, ()),
    "has_group": (True, ("group_ext_id",)),
}
# Odoo names: lower-case dotted models, identifier methods. Anything else would change the URL's path.
_MODEL = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_METHOD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Status -> class, for an error body whose `name` the shared table does not know.
_STATUS_CLASSES: dict[int, type[OdooError]] = {
    401: OdooAuthenticationError,
    403: OdooPermissionError,
    404: OdooNotFoundError,
    422: OdooUserError,
}


def named_arguments(
    model: str, method: str, args: Iterable = (), kwargs: dict | None = None, *, uid: int | None = None
) -> tuple[dict, bool]:
    """JSON-RPC-shaped `(args, kwargs)` -> JSON-2's named arguments, and whether `create` got one dict.

    Record methods take their ids first (`[[1, 2]]` -> `{"ids": [1, 2]}`), search methods their domain,
    `create` its values (a dict or a list of dicts -> `vals_list`), `write` ids and values. The
    16/17 `has_group` model call (`["group.xmlid"]`) asks for the user's own group: `ids` is `[uid]`.
    A shape that cannot be translated for certain raises ValueError: a programming error in the caller,
    who should pass the arguments by name in `kwargs` (JSON-2 has no positional arguments).
    """
    if not isinstance(model, str) or not _MODEL.match(model):
        raise ValueError(f"{model!r} is not an Odoo model name")
    if not isinstance(method, str) or not _METHOD.match(method):
        raise ValueError(f"{method!r} is not an Odoo method name")
    args = list(args)
    body = dict(kwargs or {})
    target = f"{model}.{method}"
    single = False

    if method == "has_group" and args and isinstance(args[0], str):
        # Odoo 16/17's model call: "does the current user have this group".
        if len(args) > 1 or uid is None:
            raise ValueError(f"{target}: pass [[uid], group_xmlid] or [group_xmlid] with a known user id")
        args = [[uid], *args]

    record_method, names = _SIGNATURES.get(method, (None, ()))
    if record_method is None:
        # A method the table does not know: a call without positional arguments, or one on records only.
        if not args:
            return body, False
        if len(args) == 1 and _ids(args[0]) is not None:
            record_method = True
        else:
            raise ValueError(
                f"{target} cannot go over JSON-2 with {len(args)} positional argument(s): JSON-2 takes "
                "named arguments only; pass them in kwargs (record ids as 'ids')."
            )
    if record_method and args:
        ids = _ids(args[0])
        if ids is None:
            raise ValueError(f"{target} is called on records: its first positional argument must be their ids")
        _put(body, "ids", ids, target)
        args = args[1:]
    if len(args) > len(names):
        raise ValueError(
            f"{target} takes at most {len(names)} positional argument(s) after its ids over JSON-2 "
            f"({', '.join(names) or 'none'}), got {len(args)}; pass the others by name in kwargs."
        )
    for name, value in zip(names, args, strict=False):
        _put(body, name, value, target)

    if method == "create":
        values = body.get("vals_list")
        if isinstance(values, dict):
            body["vals_list"], single = [values], True
        elif not (isinstance(values, list) and all(isinstance(v, dict) for v in values)):
            raise ValueError(f"{target} takes a dict of values or a list of dicts")
    return body, single


def _ids(value: Any) -> list[int] | None:
    def is_id(v):
        return isinstance(v, int) and not isinstance(v, bool)

    if is_id(value):
        return [value]
    if isinstance(value, (list, tuple)) and all(is_id(v) for v in value):
        return list(value)
    return None


def _put(body: dict, name: str, value: Any, target: str) -> None:
    if name in body:
        raise ValueError(f"{target}: {name!r} is given both by position and by name")
    body[name] = value


class Json2Calls:
    """The JSON-2 half of `OdooClient` (mixed into it): the same public calls, another wire format."""

    def _json2_headers(self) -> dict[str, str]:
        c = self.credentials
        headers = {}
        if c.api_key:
            headers["Authorization"] = f"bearer {c.api_key}"
        if c.database:
            # Without it Odoo picks the database its dbfilter leaves, if only one (v19-json2/04b).
            headers["X-Odoo-Database"] = c.database
        return headers

    def _json2_execute_kw(self, model: str, method: str, args: Iterable, kwargs: dict | None) -> Any:
        args = list(args)
        if method == "has_group" and args and isinstance(args[0], str) and self.uid is None:
            self.authenticate()
        body, single = named_arguments(model, method, args, kwargs, uid=self.uid)
        if self.company_id is not None:
            # Act in the connection's company; a context given by the caller wins key by key.
            body["context"] = {"allowed_company_ids": [self.company_id], **(body.get("context") or {})}
        result = self._json2_call(model, method, body)
        if single:
            # JSON-2's create always answers a list; a caller that gave one dict gets one id, as on JSON-RPC.
            if not (isinstance(result, list) and len(result) == 1):
                raise OdooProtocolError(
                    f"Odoo at {self.url} answered a create of one {model} record with {type(result).__name__} "
                    "instead of one id.",
                    status=200, extra={"service": "json2", "model": model, "model_method": method},
                )
            return result[0]
        return result

    def _json2_authenticate(self) -> int:
        """JSON-2 has no login call: the key is checked on every call; `context_get` tells whose it is."""
        context = self._json2_call("res.users", "context_get", {})
        uid = context.get("uid") if isinstance(context, dict) else None
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise OdooProtocolError(
                f"Odoo at {self.url} did not say which user this API key belongs to "
                "(res.users/context_get answered without a user id).",
                status=200, extra={"service": "json2", "model": "res.users", "model_method": "context_get"},
            )
        self.uid = uid
        return uid

    def _json2_call(self, model: str, method: str, body: dict) -> Any:
        path = f"/json/2/{model}/{method}"
        reads_only = method in self._read_methods
        call = {"service": "json2", "method": "call", "model": model, "model_method": method}
        headers = self._json2_headers()

        def send(request_id: int) -> requests.Response:
            return self.session.post(
                f"{self.url}{path}", json=body, headers=headers, timeout=self.timeout, verify=self.verify_tls,
                allow_redirects=False,
            )

        def interpret(response: requests.Response, request_id: int):
            return self._json2_answer(response, request_id=request_id, call=call, changes_data=not reads_only)

        return self._send(call, reads_only, send, interpret)

    def _json2_version(self) -> dict:
        """`common.version`'s shape from `GET /web/version` (v19-json2/01), else `/web/webclient/version_info` (01b)."""
        call = {"service": "http", "method": "GET /web/version", "model": None, "model_method": None}

        def interpret(response: requests.Response, request_id: int):
            if response.status_code == 404:
                return None, None  # not there: ask the web client's route instead
            error, body = self._json2_answer(response, request_id=request_id, call=call, changes_data=False)
            if error is None and not (isinstance(body, dict) and "version" in body and "version_info" in body):
                error = self._not_an_answer(response, self._common(response, request_id, call), False, api="JSON")
            if error is not None:
                return error, None
            return None, {"server_version": body["version"], "server_version_info": body["version_info"]}

        def get(request_id: int) -> requests.Response:
            return self.session.get(
                f"{self.url}/web/version", timeout=self.timeout, verify=self.verify_tls, allow_redirects=False
            )

        found = self._send(call, True, get, interpret)
        if found is not None:
            return found
        return self._call_jsonrpc_route("/web/webclient/version_info", {}, service="http", method="version_info")

    def _json2_answer(
        self, response: requests.Response, *, request_id: int, call: dict, changes_data: bool
    ) -> tuple[OdooError | None, Any]:
        """(error, None) or (None, result) for one JSON-2 answer."""
        status = response.status_code
        common = self._common(response, request_id, call)
        refused = self._refused_on_the_way(response, common, changes_data)
        if refused is not None:
            return refused, None
        try:
            body, parsed = response.json(), True
        except ValueError:
            body, parsed = None, False
        if status == 200 and parsed:
            return None, body
        if parsed and status >= 400 and isinstance(body, dict) and isinstance(body.get("name"), str):
            return self._error_from_json2_body(body, call=call, **common), None
        if status == 404 and call["service"] == "json2":
            # An unknown X-Odoo-Database: Odoo answers its HTML "No database is selected" page (v19-json2/04).
            return OdooNotFoundError(
                f"The database {self.credentials.database!r} does not exist on {self.url}, or the server does "
                "not offer JSON-2 (it answered 404 with a web page). Check the database name.",
                **common,
            ), None
        return self._not_an_answer(response, common, changes_data, api="JSON"), None

    def _error_from_json2_body(self, body: dict, *, call: dict, status: int, request_id: int, extra: dict) -> OdooError:
        name = body["name"]
        odoo_message = self._scrub(str(body.get("message") or f"HTTP {status}").strip())
        target = f"{call['model']}.{call['model_method']}"
        return error_for_odoo_exception(
            name, odoo_message, target=target, default=_STATUS_CLASSES.get(status, OdooServerError),
            status=status, payload=self._scrub(body), request_id=request_id, extra=extra,
        )
