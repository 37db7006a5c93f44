"""The portal's one Pleo client: export jobs and items, tag groups and tags, tax codes, accounts.

Everything goes through `PleoClient._request`, the single retry loop, and `_error_from_response`, the
single mapping of an answer to a `PleoError`. The contract is shared/pleo-api/README.md; the choices
made where it is silent live in `integrations.pleo.contract`.

    client = PleoClient(PleoCredentials(base_url=connection.api_base_url, token=connection.api_token))
    for job in client.export_jobs(company_id=connection.company_id, statuses=RESUMABLE_JOB_STATUSES): ...
"""
import base64
import email.utils
import json
import logging
import mimetypes
import posixpath
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from integrations.pleo import contract
from integrations.pleo.errors import (
    PleoAuthenticationError,
    PleoConflictError,
    PleoConnectionError,
    PleoError,
    PleoFileTooLargeError,
    PleoNotFoundError,
    PleoPermissionError,
    PleoRateLimitError,
    PleoServerError,
    PleoValidationError,
)

__all__ = ["PleoCredentials", "PleoClient", "ItemUpdateResult", "DownloadedFile"]

logger = logging.getLogger(__name__)

# Headers Pleo or a gateway in front of it may use to name a request; kept on errors for support.
_REQUEST_ID_HEADERS = ("X-Request-Id", "X-Correlation-Id", "X-Amzn-RequestId", "X-Amzn-Trace-Id")
# Statuses answered before any work was done or by a gateway: safe to repeat a read.
_RETRY_STATUSES_READ = frozenset({429, 500, 502, 503, 504})
# A write is repeated only when Pleo said it did not process it: 429 and 503. A 500/502/504 may come
# after Pleo applied the write, and the contract has no idempotency key (§11) to make a repeat harmless.
_RETRY_STATUSES_WRITE = frozenset({429, 503})
_ERROR_BODY_PREVIEW = 500
_DOWNLOAD_CHUNK = 64 * 1024


@dataclass(frozen=True)
class PleoCredentials:
    """Where Pleo is and the token to show it. `auth_scheme="basic"` sends an API key as
    Basic base64("<api-key>:"), §3; "bearer" sends an OAuth access token."""

    base_url: str
    token: str = field(repr=False)
    auth_scheme: Literal["bearer", "basic"] = "bearer"

    def __post_init__(self):
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("The Pleo API URL must be an http(s) address, e.g. https://external.pleo.io.")
        if self.auth_scheme not in ("bearer", "basic"):
            raise ValueError("auth_scheme must be 'bearer' or 'basic'.")


@dataclass
class ItemUpdateResult:
    """What Pleo said to PUT /v3/export-jobs/{id}/items over all batches: the job items it updated
    (`data`) and the entries it refused inside a 200 (`errors`, §5.3 step 7)."""

    updated: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


# How files of a type begin; a file that claims the type and begins otherwise is not that type.
_FILE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "application/vnd.ms-excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


@dataclass(frozen=True)
class DownloadedFile:
    name: str
    content_type: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def matches_type(self) -> bool:
        """Whether the bytes begin the way files of `content_type` do (True for types without a signature).
        A PDF whose bytes are an HTML error page would otherwise be attached in Odoo as a broken receipt."""
        kind = self.content_type.lower()
        if kind == "application/pdf":
            # Some PDF writers put a few bytes before the header; readers accept it within the first 1024.
            return b"%PDF-" in self.content[:1024]
        return kind not in _FILE_SIGNATURES or self.content.startswith(_FILE_SIGNATURES[kind])


class PleoClient:
    def __init__(
        self,
        credentials: PleoCredentials,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 60),
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 60,
        sleep=time.sleep,
    ):
        self._credentials = credentials
        self._base_url = credentials.base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"PleoClient(base_url={self._base_url!r}, auth_scheme={self._credentials.auth_scheme!r})"

    # ------------------------------------------------------------------ token and export jobs

    def introspect(self) -> dict:
        """Who the token is: `subjectURN`, `scope`, `authMethod`, `clientId`, `applicationName` (§3)."""
        return self._data(self._request("GET", "/v1/introspect", retry_safe=True))

    def export_jobs(self, *, company_id: str | None, statuses=("pending",)) -> list[dict]:
        """All jobs in `statuses`, oldest first (§5.3, §13 Q6). Pass `contract.RESUMABLE_JOB_STATUSES`
        to also see the `in_progress` job a crashed run left behind."""
        if isinstance(statuses, str):  # one status given bare must not be split into letters
            statuses = (statuses,)
        params = {"company_id": company_id or None, "statuses": list(statuses)}
        jobs = self._all_pages("GET", "/v3/export-jobs", params=params)
        return contract.sort_jobs_oldest_first(jobs)

    def export_job(self, job_id: str) -> dict:
        return self._data(self._request("GET", f"/v3/export-jobs/{_segment(job_id)}", retry_safe=True))

    def export_job_items(self, job_id: str) -> list[dict]:
        """The control layer: one record per accounting entry in the job, all pages (§5.3 step 4)."""
        return self._all_pages("GET", f"/v3/export-jobs/{_segment(job_id)}/items")

    def export_items(self, job_id: str) -> list[dict]:
        """The data layer: the full accounting payload of the job's entries, all pages (§5.3 step 5)."""
        return self._all_pages("GET", "/v3/export-items", params={"job_id": str(job_id)})

    def export_job_create(self, *, company_id: str, accounting_entry_ids: list[str]) -> dict:
        """Put accounting entries into a new export job, as a user pressing Export in Pleo does (§5.4).

        Pleo answers 409 EXPORT_ALREADY_IN_PROGRESS while another job of the company runs."""
        body = {"companyId": str(company_id), "accountingEntryIds": [str(i) for i in accounting_entry_ids],
                "isInteractive": False}
        return self._data(self._request("POST", "/v3/export-jobs", json=body, retry_safe=False))

    def export_job_event_send(
        self, *, job_id: str, event: str, failure_reason: str | None = None, failure_reason_type: str | None = None
    ) -> None:
        """Move the job along (started, failed, completed, completed_with_errors); Pleo answers 202.
        Send each final event once (§11): a repeat of an event Pleo applied answers 422."""
        body = contract.export_job_event_body(
            job_id=job_id, event=event, failure_reason=failure_reason, failure_reason_type=failure_reason_type
        )
        # Idempotency: an Idempotency-Key header would go here, but the contract has none (§11), so this
        # write is only repeated when Pleo certainly did not process it (see _request).
        self._request("POST", "/v3/export-job-events", json=body, retry_safe=False)

    def export_job_items_update(self, job_id: str, updates: list[dict]) -> ItemUpdateResult:
        """Report per-item results in batches of at most 100 (§5.3 step 7), collecting what Pleo updated
        and the entries it refused inside a 200.

        Batches are sent one after another. When one fails, the error is raised with the result of the
        batches already accepted in `exc.extra["partial_result"]` and the entries not yet accepted in
        `exc.extra["unsent"]`, so a later attempt resends only those (the docs forbid resending updates
        that succeeded)."""
        result = ItemUpdateResult()
        path = f"/v3/export-jobs/{_segment(job_id)}/items"
        limit = contract.ITEM_UPDATE_BATCH_LIMIT
        for start in range(0, len(updates), limit):
            batch = updates[start:start + limit]
            try:
                # No idempotency key exists (§11); a batch is repeated only when Pleo did not process it.
                body = self._json(self._request("PUT", path, json=batch, retry_safe=False))
                if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                    raise PleoServerError("Pleo's answer to the item update is not the contract's shape.")
            except PleoError as exc:
                exc.extra["partial_result"] = result
                exc.extra["unsent"] = updates[start:]
                raise
            result.updated.extend(body["data"])
            result.errors.extend(body.get("errors") or [])
        return result

    # ------------------------------------------------------------------ receipts

    def file_download(self, url: str, *, max_bytes: int, content_type: str | None = None) -> DownloadedFile:
        """Fetch a receipt from an export item's `files[].url`, refusing more than `max_bytes`.

        Pass the file's `type` as `content_type`; the response header is used when it is missing. The
        URL is fetched without the Pleo token (pre-signed URLs, §13 Q9). Raises PleoFileTooLargeError
        without reading past the limit."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PleoValidationError(
                "The receipt link Pleo sent is not an http(s) address; the portal will not open it.",
                error_type="UNSAFE_FILE_URL",
            )
        response = self._request(
            "GET", url, retry_safe=True, stream=True, send_token=contract.FILE_DOWNLOAD_SENDS_TOKEN
        )
        with response:
            announced = _int_or_none(response.headers.get("Content-Length"))
            if announced is not None and announced > max_bytes:
                raise _too_large(max_bytes, announced)
            chunks, received = [], 0
            try:
                for chunk in response.iter_content(_DOWNLOAD_CHUNK):
                    received += len(chunk)
                    if received > max_bytes:
                        raise _too_large(max_bytes, None)
                    chunks.append(chunk)
            except requests.RequestException as exc:
                raise PleoConnectionError(
                    "The receipt download from Pleo broke off; the portal will try again later."
                ) from exc
        kind = content_type or response.headers.get("Content-Type", "").split(";")[0].strip()
        kind = kind or "application/octet-stream"
        return DownloadedFile(name=_file_name(parts.path, response, kind), content_type=kind, content=b"".join(chunks))

    # ------------------------------------------------------------------ tag groups and tags

    def tag_groups(self, *, company_id: str, include_archived: bool = False) -> list[dict]:
        """All tag groups of the company; this list is not paginated (§2)."""
        params = {"company_id": company_id, "include_archived": include_archived}
        return self._data(self._request("GET", "/v0/tag-groups", params=params, retry_safe=True))

    def tag_group_create(
        self, *, company_id: str, code: str, name: str, archived: bool = False, metadata: dict | None = None
    ) -> dict:
        body = {"code": code, "name": name, "archived": archived}
        if metadata is not None:
            body["metadata"] = metadata
        # No idempotency key (§11): a repeat could create a second group, so only unprocessed writes repeat.
        response = self._request("POST", "/v0/tag-groups", params={"company_id": company_id}, json=body, retry_safe=False)
        return self._data(response)

    def tag_group_update(self, group_id: str, *, code: str, name: str, archived: bool, metadata: dict | None = None) -> dict:
        """Full replacement (PUT); `metadata` is required by Pleo, so None is sent as {} (§7)."""
        body = {"code": code, "name": name, "archived": archived, "metadata": metadata or {}}
        return self._data(self._request("PUT", f"/v0/tag-groups/{_segment(group_id)}", json=body, retry_safe=False))

    def tags(self, group_id: str, *, include_archived: bool = False) -> list[dict]:
        return self._all_pages(
            "GET", f"/v0/tag-groups/{_segment(group_id)}/tags", params={"include_archived": include_archived}
        )

    def tag_create(self, group_id: str, *, code: str, name: str, archived: bool = False) -> dict:
        """Create a tag; a duplicate `code` raises PleoConflictError (409), a full group PleoValidationError."""
        body = {"code": code, "name": name, "archived": archived}
        return self._data(self._request("POST", f"/v0/tag-groups/{_segment(group_id)}/tags", json=body, retry_safe=False))

    def tag_update(self, tag_id: str, *, code: str, name: str, archived: bool) -> dict:
        body = {"code": code, "name": name, "archived": archived}
        return self._data(self._request("PUT", f"/v0/tags/{_segment(tag_id)}", json=body, retry_safe=False))

    def tags_archive(self, company_id: str, tag_ids: list[str], archived: bool) -> list[dict]:
        """Archive (or unarchive) tags, at most 100 ids per call (§7); returns the updated tags."""
        updated = []
        limit = contract.TAG_ARCHIVE_BATCH_LIMIT
        for start in range(0, len(tag_ids), limit):
            body = {"companyId": company_id, "tagIds": [str(t) for t in tag_ids[start:start + limit]], "archived": archived}
            updated.extend(self._data(self._request("POST", "/v0/tags/archive", json=body, retry_safe=False)))
        return updated

    # ------------------------------------------------------------------ tax codes and accounts

    def tax_codes(self, *, company_id: str, archived: bool | None = None) -> list[dict]:
        """All tax codes; `archived=None` returns archived and active ones (§8)."""
        body = {} if archived is None else {"archived": archived}
        return self._all_pages("POST", "/v0/tax-codes:search", params={"company_id": company_id}, json=body)

    def tax_code_create(
        self,
        *,
        company_id: str,
        name: str,
        rate: Decimal,
        type: Literal["inclusive", "exclusive", "reverse"],
        code: str | None = None,
        archived: bool = False,
        ingoing_tax_account: str | None = None,
        outgoing_tax_account: str | None = None,
    ) -> dict:
        body = _tax_code_body(company_id, name, rate, type, code, archived, ingoing_tax_account, outgoing_tax_account)
        return self._data(self._request("POST", "/v0/tax-codes", json=body, retry_safe=False))

    def tax_code_update(
        self,
        tax_code_id: str,
        *,
        company_id: str,
        name: str,
        rate: Decimal,
        type: Literal["inclusive", "exclusive", "reverse"],
        archived: bool,
        code: str | None = None,
        ingoing_tax_account: str | None = None,
        outgoing_tax_account: str | None = None,
    ) -> dict:
        """Full replacement (PUT); archive with `archived=True` (§8)."""
        body = _tax_code_body(company_id, name, rate, type, code, archived, ingoing_tax_account, outgoing_tax_account)
        return self._data(self._request("PUT", f"/v0/tax-codes/{_segment(tax_code_id)}", json=body, retry_safe=False))

    def chart_of_accounts(self, *, company_id: str, archived: bool | None = None) -> list[dict]:
        """All bookkeeping accounts of the company (§9); `archived=None` returns both kinds."""
        body = {
            "companyId": company_id,
            "excludeIfAssignedToCategory": False,
            "excludeIfAssignedToContraAccount": False,
        }
        if archived is not None:
            body["archived"] = archived
        return self._all_pages("POST", "/v1/chart-of-accounts:search", json=body)

    # ------------------------------------------------------------------ plumbing

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
                    "pleo %s %s failed: %s (attempt %d, %.0f ms)", method, log_path, type(exc).__name__, attempt, elapsed_ms
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
                logger.info("pleo %s %s -> %d, retrying in %.1f s (attempt %d)", method, log_path, status, delay, attempt)
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


def _segment(value) -> str:
    """An id as one path segment: a stray '/' or '?' cannot reach another endpoint."""
    return quote(str(value), safe="")


def _tax_code_body(company_id, name, rate, type_, code, archived, ingoing, outgoing) -> dict:
    return {
        "companyId": company_id,
        "name": name,
        "rate": Decimal(str(rate)),
        "type": type_,
        "archived": archived,
        "code": code,
        "ingoingTaxAccount": ingoing,
        "outgoingTaxAccount": outgoing,
    }


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _too_large(max_bytes: int, size: int | None) -> PleoFileTooLargeError:
    found = f" ({size} bytes)" if size is not None else ""
    return PleoFileTooLargeError(
        f"The receipt{found} is larger than the {max_bytes} bytes the portal accepts; it was not downloaded.",
        max_bytes=max_bytes,
        size=size,
        error_type="receipt_file_size_limit_exceeded",
    )


def _file_name(url_path: str, response: requests.Response, content_type: str) -> str:
    """A name for the attachment: Content-Disposition's filename, else the URL's last segment, with an
    extension from the content type when it has none."""
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', response.headers.get("Content-Disposition", ""))
    name = unquote(match.group(1)) if match else unquote(posixpath.basename(url_path))
    name = posixpath.basename(name.replace("\\", "/")).strip() or "receipt"
    if not posixpath.splitext(name)[1]:
        name += mimetypes.guess_extension(content_type) or ""
    return name


def _seconds(exc, timeout) -> str:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return f"{connect:g} s to connect" if isinstance(exc, requests.ConnectTimeout) else f"{read:g} s"
