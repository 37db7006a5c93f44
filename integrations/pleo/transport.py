"""How `PleoClient` talks to Pleo: the single retry loop (`_request`), cursor paging, reading the JSON
envelope, and `_error_from_response`, the single mapping of an answer to a `PleoError`.

`PleoTransport` is mixed into `PleoClient` and works on the attributes the client's constructor sets
(`_credentials`, `_base_url`, `session`, `timeout`, `max_retries`, `backoff_base`, `backoff_cap`, `sleep`).
"""
import base64
import email.utils
import json
import logging
import random
import time
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from integrations.pleo import contract
from integrations.pleo.errors import (
    PleoAuthenticationError,
    PleoConflictError,
    PleoConnectionError,
    PleoError,
    PleoNotFoundError,
    PleoPermissionError,
    PleoRateLimitError,
    PleoServerError,
    PleoValidationError,
)

__all__ = ["PleoTransport"]

logger = logging.getLogger(__name__)

# Headers Pleo or a gateway in front of it may use to name a request; kept on errors for support.
_REQUEST_ID_HEADERS = ("X-Request-Id", "X-Correlation-Id", "X-Amzn-RequestId", "X-Amzn-Trace-Id")
# Statuses answered before any work was done or by a gateway: safe to repeat a read.
_RETRY_STATUSES_READ = frozenset({429, 500, 502, 503, 504})
# A write is repeated only when Pleo said it did not process it: 429 and 503. A 500/502/504 may come
# after Pleo applied the write, and the contract has no idempotency key (§11) to make a repeat harmless.
_RETRY_STATUSES_WRITE = frozenset({429, 503})
_ERROR_BODY_PREVIEW = 500


class PleoTransport:
    """The sending half of `PleoClient`: every call goes through `_request`."""

    def _all_pages(self, method: str, path: str, *, params: dict | None = None, json=None) -> list[dict]:
        """Every page of a cursor-paginated list (§4): follow `endCursor` with `after=` while
        `hasNextPage`. A cursor that does not move would loop for ever, so it raises instead."""
        params = dict(params or {})
        if contract.PAGE_LIMIT is not None:
            params["limit"] = contract.PAGE_LIMIT
        rows, seen = [], set()
        while True:
            # Listing and searching change nothing, so every page may be retried.
            body = self._json(self._request(method, path, params=params, json=json, retry_safe=True))
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PleoServerError("Pleo's list answer is not the contract's shape (no data list).")
            rows.extend(body["data"])
            page = body.get("pagination") or {}
            if not page.get("hasNextPage"):
                return rows
            cursor = page.get("endCursor")
            if not cursor or cursor in seen:
                raise PleoServerError(
                    "Pleo kept answering with the same page of results; the portal stopped reading to avoid "
                    "an endless loop."
                )
            seen.add(cursor)
            params["after"] = cursor

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json=None,
        retry_safe: bool,
        stream: bool = False,
        send_token: bool = True,
    ) -> requests.Response:
        """Send one call, retrying what is safe, and return the response or raise a PleoError.

        `path` is a path under the API's base URL, or a full URL (a file download). The token goes only
        to the API's own scheme, host and port, and never when `send_token=False`.

        Retried: a connection that failed before the request was sent, 429 (after Retry-After, capped),
        503, and for reads (`retry_safe=True`: GETs and searches) also 500, 502, 504, read time-outs and
        dropped connections. Writes have no idempotency key in the contract (§11), so a write that may
        have reached Pleo is never sent twice."""
        url = path if "://" in path else self._base_url + path
        send_token = send_token and _origin(url) == _origin(self._base_url)
        headers = {"Accept": "application/json"}
        # None removes a header a shared session might carry: a file URL must not get any credential.
        headers["Authorization"] = self._authorization() if send_token else None
        data = None
        if json is not None:
            data = _dumps(json)
            headers["Content-Type"] = "application/json"
        log_path = urlsplit(url).path  # never the query: a file URL carries its signature there
        retry_statuses = _RETRY_STATUSES_READ if retry_safe else _RETRY_STATUSES_WRITE
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, url, params=_query(params), data=data, headers=headers, timeout=self.timeout, stream=stream
                )
            except requests.RequestException as exc:
                elapsed_ms = (time.monotonic() - started) * 1000
                error = _error_from_exception(exc, self.timeout)
                retryable = retry_safe or _never_reached_pleo(exc)
                logger.warning(
                    "pleo %s %s failed: %s (attempt %d, %.0f ms)",
                    method, log_path, type(exc).__name__, attempt, elapsed_ms,
                )
                if retryable and attempt <= self.max_retries:
                    self.sleep(self._backoff(attempt))
                    continue
                raise error from exc
            elapsed_ms = (time.monotonic() - started) * 1000
            status = response.status_code
            logger.debug("pleo %s %s -> %d (attempt %d, %.0f ms)", method, log_path, status, attempt, elapsed_ms)
            if status < 400:
                return response
            error = _error_from_response(response, secret=self._credentials.token, backoff_cap=self.backoff_cap)
            response.close()
            if status in retry_statuses and attempt <= self.max_retries:
                delay = getattr(error, "retry_after", None)
                delay = self._backoff(attempt) if delay is None else delay
                logger.info("pleo %s %s -> %d, retrying in %.1f s (attempt %d)",
                            method, log_path, status, delay, attempt)
                self.sleep(delay)
                continue
            raise error

    def _authorization(self) -> str:
        token = self._credentials.token
        if self._credentials.auth_scheme == "basic":
            # §3: the API key is the username, the password is empty.
            return "Basic " + base64.b64encode(f"{token}:".encode()).decode("ascii")
        return f"Bearer {token}"

    def _backoff(self, attempt: int) -> float:
        """base * 2**(attempt-1), capped, with "equal jitter": between half and all of it, so that
        workers that failed together do not come back together."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    def _json(self, response: requests.Response):
        """The parsed body; an answer that is not JSON raises a PleoError with a plain sentence (never the
        decoder's traceback, never the body, which may echo the request)."""
        try:
            return response.json()
        except ValueError:
            pass
        common = {"status": response.status_code, "request_id": _request_id(response)}
        text = response.text.lstrip()
        if "html" in response.headers.get("Content-Type", "").lower() or text[:1] == "<":
            raise PleoServerError(
                f"Pleo answered with a web page instead of JSON (HTTP {response.status_code}): check the Pleo API "
                "address on the Pleo connection, or try again later if Pleo is under maintenance.",
                **common,
            ) from None
        if text[:1] in ("{", "["):
            # Cut off on the way (a dropped connection or a proxy's limit): worth another try later.
            raise PleoConnectionError(
                f"Pleo's answer broke off before it was complete (HTTP {response.status_code}); the portal will "
                "try again later.",
                **common,
            ) from None
        raise PleoServerError(
            f"Pleo answered with something that is not JSON (HTTP {response.status_code}).", **common
        ) from None

    def _data(self, response: requests.Response):
        """The `data` of a `{"data": ...}` envelope (§2)."""
        body = self._json(response)
        if not isinstance(body, dict) or "data" not in body:
            raise PleoServerError(
                "Pleo's answer is not the contract's shape (no data).",
                status=response.status_code,
                request_id=_request_id(response),
            )
        return body["data"]


# ---------------------------------------------------------------------- module helpers


def _error_from_response(response: requests.Response, *, secret: str, backoff_cap: float) -> PleoError:
    """The one place an HTTP error answer becomes a PleoError, chosen by what the caller does next.
    Pleo's `type` and `message` come from `ExceptionInfo` (§11) when the body has them; the token is
    blanked out of anything kept, in case a gateway echoes it."""
    status = response.status_code
    request_id = _request_id(response)
    try:
        payload = response.json()
    except ValueError:
        payload = _redact(response.text[:_ERROR_BODY_PREVIEW], secret) if response.text else None
    else:
        payload = json.loads(_redact(json.dumps(payload), secret))
    error_type = message = ""
    if isinstance(payload, dict):
        error_type = str(payload.get("type") or "")
        message = str(payload.get("message") or "")
    said = f": {message}" if message else "."
    common = {"status": status, "error_type": error_type, "payload": payload, "request_id": request_id}

    if status == 401:
        return PleoAuthenticationError(
            "Pleo refused the API token (401). Ask the client for a new Pleo API token and save it on the "
            "Pleo connection.",
            **common,
        )
    if status == 403:
        return PleoPermissionError(
            "Pleo denied access (403): the token lacks a permission (scope) needed for this step, or does "
            "not reach this company" + said,
            **common,
        )
    if status == 404:
        return PleoNotFoundError(f"Pleo could not find what the portal asked for (404){said}", **common)
    if status == 409:
        return PleoConflictError(f"Pleo reports a conflict (409){said}", **common)
    if status == 429:
        retry_after = _retry_after(response.headers.get("Retry-After"), backoff_cap)
        wait = f" Pleo asks to wait {retry_after:.0f} s." if retry_after is not None else ""
        return PleoRateLimitError(
            f"Pleo is limiting how fast the portal may call it (429).{wait} The portal will try again later.",
            retry_after=retry_after,
            **common,
        )
    if status in (502, 503, 504):
        return PleoConnectionError(
            f"Pleo is temporarily unavailable (HTTP {status}); the portal will try again later.", **common
        )
    if 400 <= status < 500:
        kind = f" {error_type}" if error_type else ""
        return PleoValidationError(f"Pleo rejected the request ({status}{kind}){said}", **common)
    return PleoServerError(f"Pleo had an internal error (HTTP {status}); try again later.", **common)


def _error_from_exception(exc: requests.RequestException, timeout) -> PleoError:
    # The exception text is left out on purpose: it names the full URL, which for a receipt is signed.
    if isinstance(exc, requests.Timeout):
        return PleoConnectionError(
            f"Pleo did not answer in time (time-out {_seconds(exc, timeout)}); the portal will try again later."
        )
    if isinstance(exc, requests.ConnectionError):
        return PleoConnectionError("The portal could not reach Pleo; the portal will try again later.")
    return PleoConnectionError(f"The call to Pleo failed ({type(exc).__name__}); the portal will try again later.")


def _never_reached_pleo(exc: requests.RequestException) -> bool:
    """True when the request certainly was not sent: the connection itself failed (refused, DNS, connect
    time-out). A reset or read time-out after sending may follow a write Pleo applied."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.Timeout):
        return False
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _retry_after(value: str | None, cap: float) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), never negative, at most `cap`."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, cap))


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _request_id(response: requests.Response) -> str | None:
    for header in _REQUEST_ID_HEADERS:
        if response.headers.get(header):
            return response.headers[header]
    return None


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "[redacted]") if secret else text


def _query(params: dict | None) -> dict | None:
    """Query parameters as Pleo reads them: booleans as true/false, lists repeated (form, explode: §4),
    None left out."""
    if not params:
        return None
    query = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        else:
            value = str(value)
        query[key] = value
    return query


def _dumps(body) -> bytes:
    """JSON body; Decimals (tax rates) go out as JSON numbers."""

    def default(value):
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")

    return json.dumps(body, default=default).encode()


def _seconds(exc, timeout) -> str:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return f"{connect:g} s to connect" if isinstance(exc, requests.ConnectTimeout) else f"{read:g} s"
