"""How `OdooClient` talks to Odoo: the JSON-RPC call, the one retry loop (shared with JSON-2), the call log
and the one mapping of an answer, or of no answer, to an `OdooError`.

`OdooTransport` is mixed into `OdooClient` and works on the attributes the client's constructor sets
(`credentials`, `url`, `endpoint`, `session`, `timeout`, `max_retries`, `backoff_*`, `sleep`, `verify_tls`).
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

import requests

from integrations.odoo.answers import (
    _describe_body,
    _envelope,
    _extra,
    _maybe_reached,
    _never_connected,
    _retry_after,
)
from integrations.odoo.errors import (
    OdooConnectionError,
    OdooError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooProtocolError,
    OdooRateLimitError,
    OdooServerError,
    error_for_odoo_exception,
)

__all__ = ["READ_METHODS", "OdooTransport"]

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


class OdooTransport:
    """The sending half of `OdooClient`: every call, on either protocol, goes through `_send`."""

    _read_methods = READ_METHODS

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

    # -- JSON-RPC ----------------------------------------------------------------------------------

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
