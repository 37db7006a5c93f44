"""The portal's one Pleo client: export jobs and items, tag groups and tags, tax codes, accounts, webhooks.

Everything goes through `_request` in `transport`, the single retry loop, and `_error_from_response`
there, the single mapping of an answer to a `PleoError`. The contract is shared/pleo-api/README.md; the
choices made where it is silent live in `integrations.pleo.contract`.

    client = PleoClient(PleoCredentials(base_url=connection.api_base_url, token=connection.api_token))
    for job in client.export_jobs(company_id=connection.company_id, statuses=RESUMABLE_JOB_STATUSES): ...
"""
import mimetypes
import posixpath
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

import requests

from integrations.pleo import contract
from integrations.pleo.errors import (
    PleoConnectionError,
    PleoError,
    PleoFileTooLargeError,
    PleoServerError,
    PleoValidationError,
)
from integrations.pleo.transport import PleoTransport

__all__ = ["PleoCredentials", "PleoClient", "ItemUpdateResult", "DownloadedFile"]

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


class PleoClient(PleoTransport):
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
        response = self._request("POST", "/v0/tag-groups", params={"company_id": company_id}, json=body,
                                 retry_safe=False)
        return self._data(response)

    def tag_group_update(
        self, group_id: str, *, code: str, name: str, archived: bool, metadata: dict | None = None
    ) -> dict:
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
        response = self._request("POST", f"/v0/tag-groups/{_segment(group_id)}/tags", json=body, retry_safe=False)
        return self._data(response)

    def tag_update(self, tag_id: str, *, code: str, name: str, archived: bool) -> dict:
        body = {"code": code, "name": name, "archived": archived}
        return self._data(self._request("PUT", f"/v0/tags/{_segment(tag_id)}", json=body, retry_safe=False))

    def tags_archive(self, company_id: str, tag_ids: list[str], archived: bool) -> list[dict]:
        """Archive (or unarchive) tags, at most 100 ids per call (§7); returns the updated tags."""
        updated = []
        limit = contract.TAG_ARCHIVE_BATCH_LIMIT
        for start in range(0, len(tag_ids), limit):
            body = {"companyId": company_id, "tagIds": [str(t) for t in tag_ids[start:start + limit]],
                    "archived": archived}
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

    # ------------------------------------------------------------------ webhook subscriptions (§10)

    def subscriptions(self, *, event_type: str) -> list[dict]:
        return self._all_pages("GET", "/v1/subscriptions", params={"event_types": [event_type]})

    def subscription(self, subscription_id: str) -> dict:
        return self._data(self._request("GET", f"/v1/subscriptions/{_segment(subscription_id)}", retry_safe=True))

    def subscription_save(self, subscription_id: str | None, *, endpoint_url: str, event_types: list[str]) -> dict:
        """Create (POST) or replace (PUT) an active subscription of `endpoint_url` to `event_types`."""
        body = {"endpointUrl": endpoint_url, "eventTypes": event_types, "status": "ACTIVE",
                "endpointAuth": {"type": "NONE"}}
        path = "/v1/subscriptions" + (f"/{_segment(subscription_id)}" if subscription_id else "")
        return self._data(self._request("PUT" if subscription_id else "POST", path, json=body, retry_safe=False))

    def subscription_secret(self, subscription_id: str) -> str:
        """The `whsec_` secret that signs the subscription's deliveries."""
        path = f"/v1/subscriptions/{_segment(subscription_id)}/secret"
        return self._data(self._request("GET", path, retry_safe=True))["secretKey"]

    def subscription_delete(self, subscription_id: str) -> None:
        self._request("DELETE", f"/v1/subscriptions/{_segment(subscription_id)}", retry_safe=True)


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
