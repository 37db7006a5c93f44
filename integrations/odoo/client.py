"""The portal's one Odoo client: JSON-RPC over `POST <url>/jsonrpc` or, on Odoo 19, JSON-2
(`POST <url>/json/2/<model>/<method>`, in `json2`); one retry loop, one error mapping.

The contract it follows is /work/shared/odoo-contract (real Odoo 16 to 19 answers). Other code builds
an `OdooClient` from an `OdooCredentials` and calls its typed helpers, or `execute_kw` for anything else.
The transport is `protocol`: JSON-RPC unless whoever builds the client says `protocol=JSON2`, or asks
the server with `detect_protocol()`; the public methods and their results are the same on both.
"""
from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests

from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooConnectionError,
    OdooError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooProtocolError,
    OdooRateLimitError,
    OdooServerError,
    error_for_odoo_exception,
)
from integrations.odoo.answers import (
    _describe_body,
    _envelope,
    _extra,
    _json_or_none,
    _maybe_reached,
    _never_connected,
    _retry_after,
)
from integrations.odoo.json2 import JSON2, JSONRPC, PROTOCOLS, Json2Calls

__all__ = ["OdooCredentials", "OdooClient", "READ_METHODS", "JSONRPC", "JSON2", "to_decimal"]

logger = logging.getLogger(__name__)

# Model methods that change nothing, so repeating one after a read time-out cannot book anything twice.
# Everything else (create, write, unlink, action_post, message_post, reconcile, ...) is sent once only
# once it may have reached Odoo: JSON-RPC has no idempotency key.
READ_METHODS = frozenset(
    {
        "search_read",
        "read",
        "search",
        "search_count",
        "fields_get",
        "has_group",
        "name_search",
        "read_group",
        "check_access_rights",
        "context_get",
    }
)
# Calls outside the object service that only read.
_READ_SERVICE_CALLS = frozenset(
    {("common", "version"), ("common", "authenticate"), ("common", "login"), ("db", "list")}
)
# Gateway answers: the proxy in front of Odoo could not get (or did not wait for) an answer.
_GATEWAY_STATUSES = frozenset({502, 503, 504})
# Odoo's exception names -> our error classes: errors.ODOO_EXCEPTION_CLASSES, shared with JSON-2.


@dataclass(frozen=True)
class OdooCredentials:
    """Where and as whom the portal talks to one Odoo database. The API key never shows in repr."""

    url: str
    database: str
    login: str
    api_key: str = field(repr=False)


class OdooClient(Json2Calls):
    """One Odoo database reached as one integration user, optionally acting in one company.

    `execute_kw` authenticates lazily when no `uid` is known (JSON-RPC needs it on every call; JSON-2
    only for `has_group`). Read calls are retried on time-outs and gateway errors; calls that may change
    data are sent again only when they certainly never reached Odoo (the connection was never made) or
    Odoo's proxy refused them with 429. That holds on both transports.

    `protocol`: `JSONRPC` (the default: Odoo 16-19) or `JSON2` (Odoo 19+, where `offers_json2()`).
    """

    _read_methods = READ_METHODS

    def __init__(
        self,
        credentials: OdooCredentials,
        *,
        company_id: int | None = None,
        uid: int | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (5, 60),
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 30,
        sleep: Callable[[float], None] = time.sleep,
        verify_tls: bool = True,
        protocol: str = JSONRPC,
    ):
        self.protocol = protocol
        self.credentials = credentials
        self.url = credentials.url.rstrip("/")
        self.endpoint = f"{self.url}/jsonrpc"
        self.company_id = company_id
        self.uid = uid
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.verify_tls = verify_tls
        self._ids = itertools.count(1)
        # JSON-RPC's has_group: a model call on 16/17, a call on the user's ids on 18/19; None: not known yet.
        self.has_group_with_ids: bool | None = None  # None: the first has_group call finds out

    @property
    def protocol(self) -> str:
        return self._protocol

    @protocol.setter
    def protocol(self, value: str) -> None:
        if value not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {value!r}")
        self._protocol = value

    def __repr__(self) -> str:
        return (
            f"OdooClient(url={self.url!r}, database={self.credentials.database!r}, "
            f"login={self.credentials.login!r}, uid={self.uid!r}, company_id={self.company_id!r}, "
            f"protocol={self.protocol!r})"
        )

    # -- common and db services ------------------------------------------------------------------

    def version(self) -> dict:
        """Server version (`server_version`, `server_version_info`, ...); needs no login."""
        if self.protocol == JSON2:
            return self._json2_version()
        return self._call("common", "version")

    def authenticate(self) -> int:
        """Log in with the API key, remember and return the user id.

        JSON-2 has no login: the user id comes from `res.users/context_get`, and a wrong key is a 401
        (OdooAuthenticationError) there as on any call.
        """
        if self.protocol == JSON2:
            return self._json2_authenticate()
        c = self.credentials
        uid = self._call("common", "authenticate", c.database, c.login, c.api_key, {})
        if not uid:
            # Odoo answers `false` (no error object) for a wrong login or key.
            raise OdooAuthenticationError(
                f"Odoo at {self.url} refused the login {c.login!r} with this API key for database "
                f"{c.database!r}. Check the login e-mail and create a new API key if needed.",
                status=200,
                extra={"service": "common", "method": "authenticate"},
            )
        self.uid = uid
        return uid

    def list_databases(self) -> list[str]:
        """Database names, where the server allows listing them.

        Odoo Online and most hosted servers refuse (`list_db = False` raises AccessDenied there);
        that becomes `OdooPermissionError`, not an authentication error: no credentials are involved,
        the bookkeeper just has to type the database name. JSON-2 has no form of it: the same error.
        """
        if self.protocol == JSON2:
            raise OdooPermissionError(
                f"Odoo at {self.url} does not allow listing its databases over JSON-2. Enter the database "
                "name by hand.",
                extra={"service": "db", "method": "list"},
            )
        return self._call("db", "list")

    # -- what the server offers besides JSON-RPC ---------------------------------------------------

    def offers_json2(self) -> bool:
        """Whether the server speaks JSON-2 (Odoo 19+), asked, not guessed from the version number.

        Only a JSON answer to `POST /json/2/res.users/context_get` means yes: 16 and 17 answer 404 with
        an HTML page (v16/118, v17/118), 18 redirects to its login page (v18/118), 19 answers the user's
        context (v19-json2/02), or with a wrong key JSON-2's own 401 error (v19-json2/03). Redirects are
        not followed.
        """
        response = self._probe("POST", "/json/2/res.users/context_get", json={}, headers=self._json2_headers())
        body = _json_or_none(response)
        if response.status_code == 401:
            return isinstance(body, dict) and body.get("name") == "werkzeug.exceptions.Unauthorized"
        return response.status_code == 200 and isinstance(body, dict)

    def detect_protocol(self) -> str:
        """Ask the server (`offers_json2`), switch to JSON-2 where it offers it, and return the protocol.

        Whoever builds clients for a connection calls this once (e.g. when verifying it), keeps the answer
        and passes it as `protocol=` from then on.
        """
        self.protocol = JSON2 if self.offers_json2() else JSONRPC
        return self.protocol

    def web_version(self) -> dict | None:
        """`GET /web/version` where the server has it (19+: v19-json2/01); None where it answers 404 (16-18: 119)."""
        response = self._probe("GET", "/web/version")
        body = _json_or_none(response)
        return body if response.status_code == 200 and isinstance(body, dict) else None

    def _probe(self, method: str, path: str, **kwargs) -> requests.Response:
        """One plain HTTP request that changes nothing; a failure to get any answer is a connection error."""
        call = {"service": "http", "method": f"{method} {path}", "model": None, "model_method": None}
        started = time.monotonic()
        try:
            response = self.session.request(
                method, f"{self.url}{path}", timeout=self.timeout, verify=self.verify_tls, allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            self._log(call, None, 1, (time.monotonic() - started) * 1000, retry=False)
            raise self._error_from_exception(exc, request_id=None, call=call, changes_data=False) from exc
        self._log(call, response.status_code, 1, (time.monotonic() - started) * 1000, retry=False)
        return response

    # -- object service ----------------------------------------------------------------------------

    def execute_kw(self, model: str, method: str, args: Iterable = (), kwargs: dict | None = None) -> Any:
        """Call any model method. A method that returns nothing answers without `result`: None here.

        On JSON-2 the positional JSON-RPC shapes are translated to named arguments (`json2.named_arguments`);
        one it cannot translate for certain raises ValueError instead of being guessed.
        """
        if self.protocol == JSON2:
            return self._json2_execute_kw(model, method, args, kwargs)
        if self.uid is None:
            self.authenticate()
        kwargs = dict(kwargs or {})
        if self.company_id is not None:
            # Act in the connection's company; a context given by the caller wins key by key.
            kwargs["context"] = {"allowed_company_ids": [self.company_id], **(kwargs.get("context") or {})}
        c = self.credentials
        return self._call("object", "execute_kw", c.database, self.uid, c.api_key, model, method, list(args), kwargs)

    def search_read(
        self,
        model: str,
        domain: list,
        fields: list[str],
        *,
        order: str | None = None,
        limit: int | None = None,
        batch_size: int = 500,
        context: dict | None = None,
    ) -> Iterator[dict]:
        """Yield matching records page by page (offset paging), at most `limit` of them.

        Pages are ordered with `id` as the last key so a record cannot slip between two pages
        because of ties in the requested order.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        order = _stable_order(order)
        offset = 0
        while limit is None or offset < limit:
            page_size = batch_size if limit is None else min(batch_size, limit - offset)
            kwargs: dict[str, Any] = {"fields": fields, "offset": offset, "limit": page_size, "order": order}
            if context:
                kwargs["context"] = context
            page = self.execute_kw(model, "search_read", [domain], kwargs)
            yield from page
            if len(page) < page_size:
                return
            offset += len(page)

    def search(self, model: str, domain: list, *, limit: int | None = None, order: str | None = None) -> list[int]:
        kwargs: dict[str, Any] = {}
        if limit is not None:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        return self.execute_kw(model, "search", [domain], kwargs)

    def read(self, model: str, ids: list[int], fields: list[str]) -> list[dict]:
        """Read records; ids that do not exist are left out (Odoo answers `[]`, not an error)."""
        return self.execute_kw(model, "read", [list(ids)], {"fields": fields})

    def search_count(self, model: str, domain: list) -> int:
        return self.execute_kw(model, "search_count", [domain])

    def create(self, model: str, values: dict | list[dict]) -> int | list[int]:
        """Create one record (a dict: returns its id) or several in one call (a list: returns ids)."""
        return self.execute_kw(model, "create", [values])

    def write(self, model: str, ids: list[int], values: dict) -> bool:
        return self.execute_kw(model, "write", [list(ids), values])

    def has_group(self, group_xmlid: str) -> bool:
        """Whether the integration user has a group, e.g. "account.group_account_user".

        16 and 17 take a model call with the xml id only (ids: TypeError, v17/08); 18 and 19 want the
        user's ids first (model call: TypeError, v18/09-as-17). Over JSON-RPC the first call finds out
        which, on its TypeError (a read: asking twice is harmless); JSON-2 sends `{"ids": [uid], ...}`.
        """
        if self.protocol == JSON2:
            return bool(self.execute_kw("res.users", "has_group", [group_xmlid]))  # sent with ids [uid]
        if self.has_group_with_ids is None:
            try:
                found = self.execute_kw("res.users", "has_group", [group_xmlid])
            except OdooServerError as exc:
                if exc.name != "builtins.TypeError":
                    raise
                self.has_group_with_ids = True
            else:
                self.has_group_with_ids = False
                return bool(found)
        if self.has_group_with_ids and self.uid is None:
            self.authenticate()
        args = [[self.uid], group_xmlid] if self.has_group_with_ids else [group_xmlid]
        return bool(self.execute_kw("res.users", "has_group", args))

    # -- the one retry loop ---------------------------------------------------------------------------

    def _call(self, service: str, method: str, *args: Any) -> Any:
        """POST one JSON-RPC call to `/jsonrpc`, retrying only what is safe, and return its `result`."""
        model, model_method = (args[3], args[4]) if service == "object" and len(args) > 4 else (None, None)
        reads_only = (
            model_method in READ_METHODS if service == "object" else (service, method) in _READ_SERVICE_CALLS
        )
        call = {"service": service, "method": method, "model": model, "model_method": model_method}
        params = {"service": service, "method": method, "args": list(args)}
        return self._jsonrpc(self.endpoint, params, call, reads_only)

    def _call_jsonrpc_route(self, path: str, params: dict, *, service: str, method: str) -> Any:
        """A read from one of Odoo's JSON-RPC web routes (e.g. `/web/webclient/version_info`)."""
        call = {"service": service, "method": method, "model": None, "model_method": None}
        return self._jsonrpc(f"{self.url}{path}", params, call, True)

    def _jsonrpc(self, url: str, params: dict, call: dict, reads_only: bool) -> Any:
        def send(request_id: int) -> requests.Response:
            body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": request_id}
            # A redirected POST turns into a GET; report the new address instead.
            return self.session.post(url, json=body, timeout=self.timeout, verify=self.verify_tls,
                                     allow_redirects=False)

        def interpret(response: requests.Response, request_id: int) -> tuple[OdooError | None, Any]:
            envelope = _envelope(response)
            error = self._error_from_response(
                response, envelope, request_id=request_id, call=call, changes_data=not reads_only
            )
            return error, None if error is not None else envelope.get("result")

        return self._send(call, reads_only, send, interpret)

    # -- the one retry loop ---------------------------------------------------------------------------

    def _send(
        self,
        call: dict,
        reads_only: bool,
        send: Callable[[int], requests.Response],
        interpret: Callable[[requests.Response, int], tuple[OdooError | None, Any]],
    ) -> Any:
        """Send one call (`send(request_id)`), retrying only what is safe; `interpret` reads each answer."""
        attempt = 0
        while True:
            attempt += 1
            request_id = next(self._ids)
            started = time.monotonic()
            try:
                response = send(request_id)
            except requests.RequestException as exc:
                elapsed_ms = (time.monotonic() - started) * 1000
                may_have_reached = not _never_connected(exc) and not isinstance(exc, requests.exceptions.SSLError)
                error = self._error_from_exception(
                    exc, request_id=request_id, call=call, changes_data=not reads_only and may_have_reached
                )
                # A certificate does not fix itself within seconds: no point in asking again now.
                retry = (
                    error.should_retry
                    and not isinstance(exc, requests.exceptions.SSLError)
                    and (reads_only or not may_have_reached)
                )
                self._log(call, None, attempt, elapsed_ms, retry=retry and attempt <= self.max_retries)
                if retry and attempt <= self.max_retries:
                    self.sleep(self._backoff(attempt))
                    continue
                raise error from exc

            elapsed_ms = (time.monotonic() - started) * 1000
            error, result = interpret(response, request_id)
            if error is None:
                self._log(call, response.status_code, attempt, elapsed_ms, retry=False)
                return result
            # 429: the proxy refused the request before Odoo saw it, so even a write may go again.
            # A read also goes again after a gateway error or an answer that broke off on the way.
            retry = isinstance(error, OdooRateLimitError) or (reads_only and error.should_retry)
            wait = None
            if retry and attempt <= self.max_retries:
                wait = self._backoff(attempt)
                retry_after = getattr(error, "retry_after", None)
                if retry_after is not None:
                    # Waiting longer than the cap would block a worker: give up and let the task retry later.
                    wait = retry_after if retry_after <= self.backoff_cap else None
            self._log(call, response.status_code, attempt, elapsed_ms, retry=wait is not None)
            if wait is not None:
                self.sleep(wait)
                continue
            raise error

    def _backoff(self, attempt: int) -> float:
        """`base * 2 ** (n-1)` capped, then jittered into its upper half so workers spread out."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)

    def _log(self, call: dict, status: int | None, attempt: int, elapsed_ms: float, *, retry: bool) -> None:
        # Never the args (they hold the API key) nor headers.
        logger.log(
            logging.INFO if retry or status != 200 else logging.DEBUG,
            "odoo %s.%s %s status=%s attempt=%d elapsed_ms=%.0f%s",
            call["service"],
            call["method"],
            f"{call['model']}.{call['model_method']}" if call["model"] else "-",
            status if status is not None else "no-answer",
            attempt,
            elapsed_ms,
            " retrying" if retry else "",
        )

    # -- the one error mapping ---------------------------------------------------------------------

    def _error_from_response(
        self, response: requests.Response, envelope: dict | None, *, request_id: int, call: dict, changes_data: bool
    ) -> OdooError | None:
        """The error a JSON-RPC answer stands for, or None when it carries a result."""
        common = self._common(response, request_id, call)
        refused = self._refused_on_the_way(response, common, changes_data)
        if refused is not None:
            return refused
        if envelope is not None and isinstance(envelope.get("error"), dict):
            # Odoo 16-18 send `code` 200, 19 sends 0 (v19/05): classified on `data.name`, never on the code.
            return self._error_from_rpc_error(envelope["error"], call=call, **common)
        if response.status_code == 200 and envelope is not None:
            return None
        return self._not_an_answer(response, common, changes_data, api="JSON-RPC")

    @staticmethod
    def _common(response: requests.Response, request_id: int, call: dict) -> dict:
        return {"status": response.status_code, "request_id": request_id, "extra": _extra(call)}

    def _refused_on_the_way(self, response: requests.Response, common: dict, changes_data: bool) -> OdooError | None:
        """429 or a gateway error (either transport): the answer came from in front of Odoo."""
        status = response.status_code
        if status == 429:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            return OdooRateLimitError(
                f"Odoo at {self.url} asks the portal to slow down (HTTP 429).",
                retry_after=retry_after,
                **common,
            )
        if status in _GATEWAY_STATUSES:
            unsure = ""
            if changes_data:
                # The gateway may have handed the call to Odoo before giving up on the answer.
                common["extra"]["may_have_reached_odoo"] = True
                unsure = " Odoo may still have made the change: check before sending it again."
            return OdooConnectionError(
                f"Odoo at {self.url} is not reachable right now (HTTP {status} from its gateway).{unsure}",
                **common,
            )
        return None

    def _not_an_answer(self, response: requests.Response, common: dict, changes_data: bool, *, api: str) -> OdooError:
        """An answer that is no answer of Odoo's API (`api`: what was expected, "JSON-RPC" or "JSON")."""
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            return OdooProtocolError(
                f"The server at {self.url} did not answer like Odoo's external API: it redirects to "
                f"{location or 'another address'}. Use the address Odoo is served on (with https).",
                **common,
            )
        if status >= 500:
            return OdooServerError(f"Odoo at {self.url} failed with HTTP {status}.", **common)
        body = _describe_body(response)
        if status == 200 and body == "an HTML page":
            # A login page, a proxy's error page or a website at that address, sent with 200 OK.
            return OdooProtocolError(
                f"Odoo at {self.url} answered with a web page instead of {api}: check the URL and database name.",
                **common,
            )
        if status == 200 and body == "JSON that is cut off or malformed":
            # The answer broke off on the way (a dropped connection, a proxy's size limit): Odoo may have
            # done the work, so it is a connection failure the caller settles like a time-out.
            return OdooConnectionError(
                f"Odoo at {self.url} sent an answer that is cut off or is not valid JSON"
                f"{_maybe_reached(common, changes_data)}",
                **common,
            )
        return OdooProtocolError(
            f"The server at {self.url} did not answer like Odoo's external API "
            f"(HTTP {status}, {body}). Check the Odoo URL.",
            **common,
        )

    def _error_from_rpc_error(self, error: dict, *, call: dict, status: int, request_id: int, extra: dict) -> OdooError:
        """Odoo's own error object -> our error, classified on `data.name`, never on the message text."""
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        name = str(data.get("name") or "")
        odoo_message = str(data.get("message") or error.get("message") or "Odoo Server Error").strip()
        payload = self._scrub(error)
        common = {"status": status, "name": name, "payload": payload, "request_id": request_id, "extra": extra}
        service, method = call["service"], call["method"]
        target = f"{call['model']}.{call['model_method']}" if call["model"] else f"{service}.{method}"

        if service == "db" and name == "odoo.exceptions.AccessDenied":
            return OdooPermissionError(
                f"Odoo at {self.url} does not allow listing its databases (Odoo Online and most hosted "
                "servers refuse it). Enter the database name by hand.",
                **common,
            )
        if name == "psycopg2.OperationalError" and (service, method) == ("common", "authenticate"):
            # Odoo's text is PostgreSQL's ("FATAL: database ... does not exist"); it stays in the payload.
            return OdooNotFoundError(
                f"The database {self.credentials.database!r} does not exist on {self.url}. "
                "Check the database name.",
                **common,
            )
        del common["name"]
        return error_for_odoo_exception(name, self._scrub(odoo_message), target=target, **common)

    def _error_from_exception(
        self, exc: requests.RequestException, *, request_id: int, call: dict, changes_data: bool
    ) -> OdooError:
        """A failure without an HTTP answer -> our error.

        `changes_data`: a non-read call that may have reached Odoo; the caller must look up what was
        booked before trying again, so the sentence says so and `extra["may_have_reached_odoo"]` is set.
        """
        extra = {**_extra(call), "cause": type(exc).__name__}
        unsure = ""
        if changes_data:
            extra["may_have_reached_odoo"] = True
            unsure = " Odoo may still have made the change: check before sending it again."
        common = {"request_id": request_id, "extra": extra}
        connect_timeout, read_timeout = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,) * 2
        if isinstance(exc, requests.exceptions.SSLError):
            return OdooConnectionError(
                f"The TLS certificate of {self.url} could not be verified, so the portal did not send "
                "anything. Ask whoever runs that Odoo to fix its certificate.",
                **common,
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return OdooConnectionError(
                f"Could not connect to Odoo at {self.url} within {connect_timeout:g} seconds.", **common
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return OdooConnectionError(
                f"Odoo at {self.url} did not answer within {read_timeout:g} seconds.{unsure}", **common
            )
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                            requests.exceptions.InvalidSchema)):
            return OdooProtocolError(
                f"{self.url!r} is not an address the portal can reach Odoo on. Check the Odoo URL.", **common
            )
        if isinstance(exc, requests.ConnectionError):
            return OdooConnectionError(
                f"Could not reach Odoo at {self.url}: the connection failed.{unsure}", **common
            )
        return OdooConnectionError(f"Could not reach Odoo at {self.url} ({type(exc).__name__}).{unsure}", **common)

    def _scrub(self, value: Any) -> Any:
        """A copy of `value` with the API key masked wherever it appears (Odoo never echoes it; belt and braces)."""
        secret = self.credentials.api_key
        if not secret:
            return value
        if isinstance(value, str):
            return value.replace(secret, "***")
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrub(v) for v in value]
        return value


def to_decimal(value: float | int | str | Decimal, rounding: Decimal | float | str = Decimal("0.01")) -> Decimal:
    """An amount from Odoo (a JSON float such as 92.59) as Decimal, rounded half-up to the currency's step.

    `rounding` is the currency's `rounding` field (0.01 for EUR and USD; 0.05 or 1.0 for others).
    Going through `str()` keeps 92.59 as 92.59 instead of 92.5899999999999963.
    """
    if value is None or isinstance(value, bool):
        raise TypeError(f"Expected an amount from Odoo, got {value!r}")
    step = Decimal(str(rounding))
    if step <= 0:
        raise ValueError(f"rounding must be positive, got {rounding!r}")
    amount = Decimal(str(value))
    steps = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    # `+ 0` turns -0.00 into 0.00.
    return (steps * step).quantize(step) + 0


def _stable_order(order: str | None) -> str:
    if not order:
        return "id"
    keys = [part.split()[0] for part in order.split(",") if part.strip()]
    return order if "id" in keys else f"{order}, id"
