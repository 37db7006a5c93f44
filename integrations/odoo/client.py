"""The portal's one Odoo client: JSON-RPC over `POST <url>/jsonrpc` or, on Odoo 19, JSON-2
(`POST <url>/json/2/<model>/<method>`, in `json2`); the one retry loop and error mapping are in `transport`.

The contract it follows is /work/shared/odoo-contract (real Odoo 16 to 19 answers). Other code builds
an `OdooClient` from an `OdooCredentials` and calls its typed helpers, or `execute_kw` for anything else.
The transport is `protocol`: JSON-RPC unless whoever builds the client says `protocol=JSON2`, or asks
the server with `detect_protocol()`; the public methods and their results are the same on both.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests

from integrations.odoo.answers import _json_or_none
from integrations.odoo.errors import OdooAuthenticationError, OdooPermissionError, OdooServerError
from integrations.odoo.json2 import JSON2, JSONRPC, PROTOCOLS, Json2Calls
from integrations.odoo.transport import OdooTransport

__all__ = ["OdooCredentials", "OdooClient", "JSONRPC", "JSON2", "to_decimal"]


@dataclass(frozen=True)
class OdooCredentials:
    """Where and as whom the portal talks to one Odoo database. The API key never shows in repr."""

    url: str
    database: str
    login: str
    api_key: str = field(repr=False)


class OdooClient(OdooTransport, Json2Calls):
    """One Odoo database reached as one integration user, optionally acting in one company.

    `execute_kw` authenticates lazily when no `uid` is known (JSON-RPC needs it on every call; JSON-2
    only for `has_group`). Read calls are retried on time-outs and gateway errors; calls that may change
    data are sent again only when they certainly never reached Odoo (the connection was never made) or
    Odoo's proxy refused them with 429. That holds on both transports.

    `protocol`: `JSONRPC` (the default: Odoo 16-19) or `JSON2` (Odoo 19+, where `offers_json2()`).
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
