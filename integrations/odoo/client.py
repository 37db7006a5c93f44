"""The portal's one Odoo client: JSON-RPC over `POST <url>/jsonrpc`, one retry loop, one error mapping.

The contract it follows is /work/shared/odoo-contract (real Odoo 16 and 17 answers). Other code builds
an `OdooClient` from an `OdooCredentials` and calls its typed helpers, or `execute_kw` for anything else.
"""
from __future__ import annotations

import email.utils
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
    OdooUserError,
    OdooValidationError,
)

__all__ = ["OdooCredentials", "OdooClient", "READ_METHODS", "to_decimal"]

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
    }
)
# Calls outside the object service that only read.
_READ_SERVICE_CALLS = frozenset(
    {("common", "version"), ("common", "authenticate"), ("common", "login"), ("db", "list")}
)
# Gateway answers: the proxy in front of Odoo could not get (or did not wait for) an answer.
_GATEWAY_STATUSES = frozenset({502, 503, 504})

# `data.name` of Odoo's error object -> what the caller does next.
_ERROR_CLASSES: dict[str, type[OdooError]] = {
    "odoo.exceptions.AccessDenied": OdooAuthenticationError,
    "odoo.exceptions.AccessError": OdooPermissionError,
    "odoo.exceptions.UserError": OdooUserError,
    "odoo.exceptions.ValidationError": OdooValidationError,
    "odoo.exceptions.MissingError": OdooNotFoundError,
    # Odoo 16/17 raise these for an unknown method or field, or a call of the wrong shape.
    "builtins.TypeError": OdooServerError,
    "builtins.AttributeError": OdooServerError,
    "builtins.ValueError": OdooServerError,
}


@dataclass(frozen=True)
class OdooCredentials:
    """Where and as whom the portal talks to one Odoo database. The API key never shows in repr."""

    url: str
    database: str
    login: str
    api_key: str = field(repr=False)


class OdooClient:
    """One Odoo database reached as one integration user, optionally acting in one company.

    `execute_kw` authenticates lazily when no `uid` is known. Read calls are retried on time-outs and
    gateway errors; calls that may change data are sent again only when they certainly never reached
    Odoo (the connection was never made) or Odoo's proxy refused them with 429.
    """

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
    ):
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

    def __repr__(self) -> str:
        return (
            f"OdooClient(url={self.url!r}, database={self.credentials.database!r}, "
            f"login={self.credentials.login!r}, uid={self.uid!r}, company_id={self.company_id!r})"
        )

    # -- common and db services ------------------------------------------------------------------

    def version(self) -> dict:
        """Server version (`server_version`, `server_version_info`, ...); needs no login."""
        return self._call("common", "version")

    def authenticate(self) -> int:
        """Log in with the API key, remember and return the user id."""
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
        the bookkeeper just has to type the database name.
        """
        return self._call("db", "list")

    # -- what the server offers besides JSON-RPC ---------------------------------------------------

    def offers_json2(self) -> bool:
        """Whether the server speaks JSON-2 (Odoo 19+), asked, not guessed from the version number.

        Only a JSON answer to `POST /json/2/res.users/context_get` means yes: 16 and 17 answer 404 with
        an HTML page (v16/118, v17/118), 18 redirects to its login page (v18/118), 19 answers the user's
        context (v19-json2/02). Redirects are not followed.
        """
        response = self._probe(
            "POST", "/json/2/res.users/context_get", json={},
            headers={"Authorization": f"bearer {self.credentials.api_key}",
                     "X-Odoo-Database": self.credentials.database},
        )
        return response.status_code == 200 and isinstance(_json_or_none(response), dict)

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
        """Call any model method. A method that returns nothing answers without `result`: None here."""
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

        A model call with the xml id only: passing ids raises TypeError in 16 and 17 (recording 08).
        """
        return bool(self.execute_kw("res.users", "has_group", [group_xmlid]))

    # -- the one retry loop ---------------------------------------------------------------------------

    def _call(self, service: str, method: str, *args: Any) -> Any:
        """POST one JSON-RPC call, retrying only what is safe, and return its `result`."""
        model, model_method = (args[3], args[4]) if service == "object" and len(args) > 4 else (None, None)
        reads_only = (
            model_method in READ_METHODS if service == "object" else (service, method) in _READ_SERVICE_CALLS
        )
        call = {"service": service, "method": method, "model": model, "model_method": model_method}
        attempt = 0
        while True:
            attempt += 1
            request_id = next(self._ids)
            body = {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": list(args)},
                "id": request_id,
            }
            started = time.monotonic()
            try:
                response = self.session.post(
                    self.endpoint,
                    json=body,
                    timeout=self.timeout,
                    verify=self.verify_tls,
                    # A redirected POST turns into a GET; report the new address instead.
                    allow_redirects=False,
                )
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
            envelope = _envelope(response)
            error = self._error_from_response(
                response, envelope, request_id=request_id, call=call, changes_data=not reads_only
            )
            if error is None:
                self._log(call, response.status_code, attempt, elapsed_ms, retry=False)
                return envelope.get("result")
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
        """The error an HTTP answer stands for, or None when it carries a result."""
        status = response.status_code
        common = {"status": status, "request_id": request_id, "extra": _extra(call)}
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
        if envelope is not None and isinstance(envelope.get("error"), dict):
            return self._error_from_rpc_error(envelope["error"], call=call, **common)
        if status == 200 and envelope is not None:
            return None
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
                f"Odoo at {self.url} answered with a web page instead of JSON-RPC: check the URL and database "
                "name.",
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
        error_class = _ERROR_CLASSES.get(name, OdooServerError)
        if error_class is OdooAuthenticationError:
            message = f"{odoo_message}: Odoo refused the login or API key. Check them, or create a new API key."
        elif error_class is OdooServerError:
            message = f"Odoo could not run {target}: {odoo_message}"
        else:
            message = odoo_message
        return error_class(self._scrub(message), **common)

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


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (no connection was made).

    A connect time-out, a refused connection or a failed DNS lookup; not a connection dropped
    after the body was sent (urllib3's "Connection aborted"), which Odoo may have processed.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ReadTimeout)):
        return False
    import urllib3.exceptions

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            return True
        todo.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _envelope(response: requests.Response) -> dict | None:
    """The JSON-RPC envelope of an answer, or None when the body is not one."""
    body = _json_or_none(response)
    if isinstance(body, dict) and body.get("jsonrpc") == "2.0":
        return body
    return None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_body(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type.lower() or response.text.lstrip()[:1] == "<":
        return "an HTML page"
    try:
        response.json()
    except ValueError:
        if "json" in content_type.lower() or response.text.lstrip()[:1] in ("{", "["):
            return "JSON that is cut off or malformed"
        return f"a {content_type or 'non-JSON'} answer"
    return "JSON that is not a JSON-RPC answer"


def _maybe_reached(common: dict, changes_data: bool) -> str:
    """The end of a sentence about an answer Odoo may have sent after making a change."""
    if not changes_data:
        return "."
    common["extra"]["may_have_reached_odoo"] = True
    return ". Odoo may still have made the change: check before sending it again."


def _extra(call: dict) -> dict:
    return {k: v for k, v in call.items() if v is not None}
