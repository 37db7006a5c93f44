"""Clients, their connections and the "Verify" checks of both sides."""
import ipaddress
import logging
import re
import socket
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import requests
import urllib3
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast
from django.utils import timezone
from encrypted_fields.fields import EncryptedFieldMixin

from integrations.choices import ClientStatus
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.books import (
    ACCOUNTANT_GROUPS,
    ADVISER_GROUP,
    CONTACT_CREATION_GROUP,
    SETTINGS_GROUP,
    OdooBooks,
)
from integrations.odoo.client import JSON2, JSONRPC, OdooClient, OdooCredentials
from integrations.odoo.dialects import SUPPORTED_VERSIONS
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooError,
    OdooNotFoundError,
    OdooProtocolError,
)
from integrations.pleo.client import PleoClient, PleoCredentials
from integrations.pleo.errors import (
    PleoAuthenticationError,
    PleoError,
    PleoNotFoundError,
    PleoPermissionError,
)

__all__ = [
    "Check",
    "ConnectionCheck",
    "model_update",
    "AddressRefused",
    "PolicySession",
    "url_policy_check",
    "http_session",
    "odoo_client_for",
    "pleo_client_for",
    "client_create",
    "clients_status_set",
    "odoo_connection_save",
    "pleo_connection_save",
    "odoo_connection_verify",
    "pleo_connection_verify",
    "odoo_company_choose",
    "connection_failure_record",
    "connection_success_record",
    "pleo_company_choose",
    "EncryptedFieldRotation",
    "encrypted_fields",
    "encryption_key_rotate",
    "SUPPORTED_ODOO_VERSIONS",
    "PLEO_REQUIRED_SCOPES",
]

logger = logging.getLogger(__name__)

SUPPORTED_ODOO_VERSIONS = SUPPORTED_VERSIONS
# A key expiring within this many days makes the connection need attention (Verify, the dashboard).
KEY_EXPIRY_WARNING_DAYS = 14
# The export reads jobs and items and writes events and item results (pleo-api README §3).
PLEO_REQUIRED_SCOPES = ("export-jobs:read", "export-jobs:write", "export-items:read")


def model_update(*, instance, fields: list[str], data: dict) -> tuple[object, bool]:
    """Set the given fields from `data`, validate, and save only what changed."""
    changed = [name for name in fields if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        instance.full_clean()
        instance.save(update_fields=[*changed, "updated_at"] if hasattr(instance, "updated_at") else changed)
    return instance, bool(changed)


# Outgoing addresses ---------------------------------------------------------------------------
# Server-side request forgery: a URL typed into a connection, or sent by Pleo (receipts), must not make
# the portal call inside the firm's network or the cloud machine's metadata service.

# The metadata services hand out the machine's own cloud credentials: refused whatever the settings say.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
# NAT64 (RFC 6052) addresses carry an IPv4 address in their last 32 bits.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# One number of the loose IPv4 forms the C resolver accepts: hex, octal (leading 0) or decimal.
_LOOSE_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


class AddressRefused(requests.exceptions.InvalidURL):
    """The portal's session refused to call an address, or to follow a redirect to it (url_policy_check)."""


def url_policy_check(url: str) -> None:
    """Refuse an address the portal must not call; run at save, at Verify and before every request.

    https only; plain http to loopback when ALLOW_HTTP_LOOPBACK, or to HTTP_ALLOWED_HOSTS. Every address
    the host resolves to must be public: no private, loopback (unless ALLOW_HTTP_LOOPBACK), link-local,
    metadata, multicast, unspecified or reserved address, unless the host is in HTTP_PRIVATE_HOSTS_ALLOWED.
    Checked again before each request because a name's addresses can change after it was saved. A name
    that does not resolve passes: there is nothing to reach, and the call then fails as unreachable.
    """
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in {"http", "https"} or not host or port == -1:
        raise ValidationError(f"“{url}” is not a web address. Enter it like https://mycompany.odoo.com")
    if parts.username or parts.password:
        raise ValidationError("Leave user name and password out of the address; enter them in their own fields.")
    origin = f"{parts.scheme}://{parts.netloc}"  # never the path or query: a receipt link is signed there
    literal = _ip_literal(host)
    if host in METADATA_HOSTS or (literal and _unwrapped(literal) in METADATA_ADDRESSES):
        raise ValidationError(f"“{origin}” is the cloud metadata service of the portal's own server; "
                              "the portal never calls it.")
    if parts.scheme == "http" and not (
        host in _hosts_setting("HTTP_ALLOWED_HOSTS") or (settings.ALLOW_HTTP_LOOPBACK and _is_loopback(host, literal))
    ):
        raise ValidationError(
            f"“{origin}” uses plain http, which would send the API key unencrypted. Use the https address."
        )
    if host in _hosts_setting("HTTP_PRIVATE_HOSTS_ALLOWED"):
        return
    for address in [literal] if literal else _addresses(host, port or (443 if parts.scheme == "https" else 80)):
        reason = _address_refusal(address)
        if reason:
            raise ValidationError(
                f"“{origin}” leads to {address}, {reason}; the portal calls only addresses on the public "
                f"internet. If this is a server of the firm, the administrator can allow “{host}” "
                "(setting HTTP_PRIVATE_HOSTS_ALLOWED)."
            )


def _hosts_setting(name: str) -> set[str]:
    return {h.lower().rstrip(".") for h in getattr(settings, name, [])}


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as a number stands for, in every form the resolver accepts:
    2130706433, 0x7f.1, 0177.0.0.1 and 127.1 are all 127.0.0.1."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_LOOSE_IPV4_PART.fullmatch(p) for p in parts):
        return None
    numbers = [int(p, 16) if p[:2] in ("0x", "0X") else int(p, 8) if p.startswith("0") else int(p) for p in parts]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    return ipaddress.IPv4Address(sum(n << (24 - 8 * i) for i, n in enumerate(head)) + last)


def _unwrapped(address):
    """The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 IPv6 address, else the address."""
    if address.version == 6:
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address in NAT64_PREFIX:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _is_loopback(host: str, literal) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    return bool(literal) and _unwrapped(literal).is_loopback


def _addresses(host: str, port: int) -> list:
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    # An IPv6 link-local answer may carry its interface ("fe80::1%eth0").
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def _address_refusal(address) -> str:
    """Why the portal must not call this address, in words; empty when it may."""
    address = _unwrapped(address)
    if address in METADATA_ADDRESSES:
        return "the cloud metadata service"
    if address.is_loopback:
        return "" if settings.ALLOW_HTTP_LOOPBACK else "the portal's own server (loopback)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "an address inside a private network"
    if not address.is_global:
        return "a reserved address"
    return ""


class _PeerRefused(OSError):
    """The socket reached an address the policy refuses (the name resolved differently at connect time)."""


def _peer_check(host: str, sock) -> None:
    if host.lower().rstrip(".") in _hosts_setting("HTTP_PRIVATE_HOSTS_ALLOWED"):
        return
    address = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
    reason = _address_refusal(address)
    if reason:
        sock.close()
        raise _PeerRefused(f"“{host}” resolved to {address} when connecting, {reason}; the portal calls only "
                           "addresses on the public internet.")


class _CheckedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _peer_check(self.host, sock)
        return sock


class _CheckedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _peer_check(self.host, sock)  # before the TLS handshake: nothing is sent to a refused address
        return sock


class _CheckedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _PeerCheckingAdapter(requests.adapters.HTTPAdapter):
    """Checks the address each socket actually connected to. url_policy_check resolves the name before
    the request, but the connection resolves it again: a name that answers a public address first and
    an internal one next (DNS rebinding) is caught here."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class PolicySession(requests.Session):
    """Checks every request against url_policy_check just before sending it. requests sends each
    redirect hop through `send` too, so a redirect to a forbidden address is refused the same way."""

    def __init__(self):
        super().__init__()
        self.mount("https://", _PeerCheckingAdapter())
        self.mount("http://", _PeerCheckingAdapter())

    def send(self, request, **kwargs):
        try:
            url_policy_check(request.url)
        except ValidationError as exc:
            raise AddressRefused(" ".join(exc.messages), request=request) from None
        try:
            return super().send(request, **kwargs)
        except requests.exceptions.ConnectionError as exc:
            refused = _peer_refusal(exc)
            if refused:
                raise AddressRefused(str(refused), request=request) from None
            raise


def _peer_refusal(exc: BaseException) -> _PeerRefused | None:
    """The _PeerRefused inside the layers requests and urllib3 wrap a connection error in, if any."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _PeerRefused):
            return current
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None),
                    *[a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]]
    return None


def http_session() -> requests.Session:
    """The HTTP session every outgoing client uses; tests swap it for the in-process sandboxes."""
    return PolicySession()


def odoo_client_for(connection: OdooConnection, *, company: bool = True) -> OdooClient:
    return OdooClient(
        OdooCredentials(
            url=connection.url.rstrip("/"),
            database=connection.database,
            login=connection.login,
            api_key=connection.api_key,
        ),
        company_id=connection.company_id if company else None,
        uid=connection.user_id,
        protocol=connection.protocol,
        session=http_session(),
        timeout=settings.ODOO_TIMEOUT_SECONDS,
        max_retries=settings.ODOO_MAX_RETRIES,
    )


def pleo_client_for(connection: PleoConnection) -> PleoClient:
    return PleoClient(
        PleoCredentials(base_url=connection.api_base_url.rstrip("/"), token=connection.api_token),
        session=http_session(),
        timeout=settings.PLEO_TIMEOUT_SECONDS,
        max_retries=settings.PLEO_MAX_RETRIES,
    )


# Clients and connections ------------------------------------------------------------------------

@transaction.atomic
def client_create(*, name: str, by=None, staff=(), notes: str = "", status: str = ClientStatus.ACTIVE) -> Client:
    """Add a client company. A staff member who adds one handles it, or they could not see it."""
    client = Client(name=name, notes=notes, status=status)
    client.full_clean()
    client.save()
    members = list(staff)
    if by is not None and not by.is_superuser and by not in members:
        members.append(by)
    client.staff.set(members)
    return client


def clients_status_set(*, clients, status: str) -> int:
    """Pause or resume clients; a paused client's exports and syncs do not run."""
    from django_q.tasks import async_task

    count = 0
    for client in clients:
        _, changed = model_update(instance=client, fields=["status"], data={"status": status})
        if changed:
            # The schedules live in exports, above this app: queued by name instead of imported.
            async_task("exports.schedules.client_schedules_ensure_task", client.pk)
        count += changed
    return count


ODOO_CONNECTION_FIELDS = ["url", "database", "login"]
PLEO_CONNECTION_FIELDS = ["api_base_url", "company_id", "company_name"]


@transaction.atomic
def odoo_connection_save(*, client: Client, data: dict, api_key: str = "") -> OdooConnection:
    """Create or change a client's Odoo connection. A blank `api_key` keeps the stored one.

    Changing the address, database or login forgets the verified state: the old report no longer
    says anything about the new target.
    """
    data = {**data, "url": (data.get("url") or "").strip().rstrip("/")}
    _url_field_check("url", data["url"])
    connection = OdooConnection.objects.filter(client=client).first()
    if connection is None:
        if not api_key:
            raise ValidationError({"api_key": "Enter the API key of the Odoo integration user."})
        connection = OdooConnection(client=client, api_key=api_key, **{k: data.get(k, "") for k in ODOO_CONNECTION_FIELDS})
        connection.full_clean()
        connection.save()
        return connection
    target_changed = any(getattr(connection, k) != data.get(k, getattr(connection, k)) for k in ODOO_CONNECTION_FIELDS)
    connection, _ = model_update(instance=connection, fields=ODOO_CONNECTION_FIELDS, data=data)
    if api_key:
        connection.api_key = api_key
        connection.save(update_fields=["api_key", "updated_at"])
    if target_changed or api_key:
        _verification_reset(connection, keep_company=not target_changed)
    return connection


@transaction.atomic
def pleo_connection_save(*, client: Client, data: dict, api_token: str = "") -> PleoConnection:
    """Create or change a client's Pleo connection. A blank `api_token` keeps the stored one."""
    data = {**data, "api_base_url": (data.get("api_base_url") or settings.PLEO_API_BASE_URL).strip().rstrip("/")}
    _url_field_check("api_base_url", data["api_base_url"])
    connection = PleoConnection.objects.filter(client=client).first()
    if connection is None:
        if not api_token:
            raise ValidationError({"api_token": "Enter the Pleo API token."})
        connection = PleoConnection(client=client, api_token=api_token, **{k: data.get(k, "") for k in PLEO_CONNECTION_FIELDS})
        connection.full_clean()
        connection.save()
        return connection
    target_changed = connection.api_base_url != data["api_base_url"]
    connection, _ = model_update(instance=connection, fields=PLEO_CONNECTION_FIELDS, data=data)
    if api_token:
        connection.api_token = api_token
        connection.save(update_fields=["api_token", "updated_at"])
    if target_changed or api_token:
        _verification_reset(connection, keep_company=True)
    return connection


def _url_field_check(field_name: str, url: str) -> None:
    """url_policy_check, its message placed on the address field the person typed it in."""
    try:
        url_policy_check(url)
    except ValidationError as exc:
        raise ValidationError({field_name: exc.messages}) from None


def _verification_reset(connection, *, keep_company: bool) -> None:
    connection.verified_at = None
    connection.verification_passed = None
    # New credentials or a new target deserve a fresh try by the schedule.
    connection.credentials_refused_at = None
    fields = ["verified_at", "verification_passed", "credentials_refused_at", "updated_at"]
    if not keep_company:
        connection.company_id = None if isinstance(connection, OdooConnection) else ""
        connection.company_name = ""
        fields += ["company_id", "company_name"]
    connection.save(update_fields=fields)


# Verify -----------------------------------------------------------------------------------------

@dataclass
class Check:
    """One line of the check report: what was checked, what was found, what to do about it."""

    key: str
    title: str
    passed: bool | None = None  # None: not checked, because an earlier check failed
    detail: str = ""
    fix: str = ""
    required: bool = True


@dataclass
class ConnectionCheck:
    checks: list[Check] = field(default_factory=list)
    companies: list[dict] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    server_version: str = ""
    user_id: int | None = None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks if c.required)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]

    def ok(self, key: str, title: str, detail: str = "", *, required: bool = True) -> None:
        self.checks.append(Check(key, title, True, detail, "", required))

    def fail(self, key: str, title: str, detail: str, fix: str = "", *, required: bool = True) -> None:
        self.checks.append(Check(key, title, False, detail, fix, required))

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "companies": self.companies,
            "databases": self.databases,
            "server_version": self.server_version,
        }


class _Stop(Exception):
    """An Odoo check failed in a way that makes the remaining checks meaningless."""


ODOO_CHECK_TITLES = {
    "address": "The address is a safe web address",
    "server": "An Odoo server answers at this address",
    "version": "Odoo version is 16, 17, 18 or 19",
    "database": "The database exists",
    "login": "Login e-mail and API key are accepted",
    "key": "The API key does not expire soon",
    "accountant": "The user has Accounting rights (Accountant or Adviser)",
    "settings": "The user has Settings rights (Administration: Settings)",
    "company": "The user is allowed in the chosen company",
    "employees": "The Employees app is installed",
    "journals": "The company has a purchase journal and a miscellaneous journal",
    "payable": "The company has an accounts payable account",
    "contact_creation": "The user may create supplier contacts (Extra Rights: Contact Creation)",
    "adviser": "The user may create accounts and journals (Accounting: Adviser)",
}


def odoo_connection_verify(*, connection: OdooConnection) -> ConnectionCheck:
    """Check the Odoo side for real, step by step as an integration user's set-up guide goes.

    Stores the report, the detected version and user, and the company list on the connection.
    A failed step stops the steps that depend on it; they are listed as not checked.
    """
    report = _checks_run(connection, _odoo_checks, ODOO_CHECK_TITLES, optional={"key", "contact_creation", "adviser"})
    connection.server_version, connection.user_id = report.server_version, report.user_id
    _report_store(connection, report)
    return report


def _odoo_checks(connection: OdooConnection, report: ConnectionCheck) -> None:
    title = ODOO_CHECK_TITLES
    try:
        url_policy_check(connection.url)
    except ValidationError as exc:
        report.fail("address", title["address"], " ".join(exc.messages), "Enter the https address of the Odoo instance.")
        raise _Stop
    report.ok("address", title["address"], connection.url)
    host = (urlsplit(connection.url).hostname or "").lower()
    on_odoo_online = host.endswith(".odoo.com")

    client = odoo_client_for(connection, company=False)
    try:
        # JSON-2 where the server offers it (19+), asked rather than guessed; a failed probe leaves JSON-RPC,
        # whose version call then says what is wrong with the address.
        connection.protocol = client.detect_protocol()
    except OdooError:
        connection.protocol = client.protocol = JSONRPC
    try:
        info = client.version()
        major = int(info["server_version_info"][0])
        report.server_version = str(info.get("server_version") or major)
    except OdooProtocolError:
        report.fail("server", title["server"], f"The server at {connection.url} does not answer like Odoo's external API.",
                    "Check the address: it is the one you open Odoo with in the browser, without /web or /odoo.")
        raise _Stop
    except (OdooError, KeyError, TypeError, ValueError, IndexError) as exc:
        report.fail("server", title["server"], _odoo_sentence(exc, connection.url),
                    "Check the address and that the Odoo instance is running and reachable from the portal.")
        raise _Stop
    report.ok("server", title["server"], f"Odoo {report.server_version}"
              + (" (JSON-2)" if connection.protocol == JSON2 else " (JSON-RPC)"))
    if major not in SUPPORTED_ODOO_VERSIONS:
        versions = ", ".join(map(str, SUPPORTED_ODOO_VERSIONS[:-1]))
        report.fail("version", title["version"],
                    f"This server runs Odoo {report.server_version}; the portal works with Odoo {versions} and "
                    f"{SUPPORTED_ODOO_VERSIONS[-1]}.",
                    f"Connect an Odoo {versions} or {SUPPORTED_ODOO_VERSIONS[-1]} database, or wait for a portal "
                    "release that supports this version.")
        raise _Stop
    report.ok("version", title["version"], f"Odoo {major}")

    try:
        report.databases = client.list_databases()
    except OdooError:
        report.databases = []  # Odoo Online and hardened servers do not list databases.
    database = connection.database
    proposal = host.split(".")[0] if on_odoo_online else ""
    if not database:
        hint = f" On Odoo Online it is usually the subdomain: “{proposal}”." if proposal else ""
        listed = f" Databases on this server: {', '.join(report.databases)}." if report.databases else ""
        report.fail("database", title["database"], "No database name is entered." + hint + listed,
                    "Enter the database name.")
        raise _Stop
    if report.databases and database not in report.databases:
        report.fail("database", title["database"],
                    f"There is no database “{database}” on this server. Databases: {', '.join(report.databases)}.",
                    "Pick one of the listed databases.")
        raise _Stop

    try:
        uid = client.authenticate()
    except OdooNotFoundError:
        hint = f" On Odoo Online it is usually the subdomain: “{proposal}”." if proposal and proposal != database else ""
        report.fail("database", title["database"], f"There is no database “{database}” on this server.{hint}",
                    "Check the database name (Settings → Activate developer mode shows it in the top menu).")
        raise _Stop
    except OdooAuthenticationError:
        report.ok("database", title["database"], database)
        plan = (" On Odoo Online, API access also depends on the subscription plan: the Free/One App plan "
                "has no external API access.") if on_odoo_online else ""
        report.fail("login", title["login"], f"Odoo refused the login “{connection.login}” with this API key.{plan}",
                    "In Odoo, open the integration user's Preferences → Account Security → New API Key, and "
                    "enter the new key here together with the user's login e-mail.")
        raise _Stop
    except OdooError as exc:
        report.fail("login", title["login"], _odoo_sentence(exc, connection.url), "Try again later.")
        raise _Stop
    report.ok("database", title["database"], database)
    report.user_id = connection.user_id = uid
    report.ok("login", title["login"], f"Logged in as user {uid}.")
    books = OdooBooks(client, version=major, company_id=None)
    _odoo_key_check(books, connection, report)

    try:
        _odoo_rights_checks(books, connection, report)
    except OdooError as exc:
        step = next((k for k in ODOO_CHECK_TITLES if k not in {c.key for c in report.checks}), "company")
        report.fail(step, title[step], _odoo_sentence(exc, connection.url), "Try Verify again; if it keeps failing, check the user's rights in Odoo.")
        raise _Stop


def _odoo_key_check(books: OdooBooks, connection: OdooConnection, report: ConnectionCheck) -> None:
    """18+ keys expire (odoo-contract 112, 113): how many days are left, before exports stop."""
    title = ODOO_CHECK_TITLES["key"]
    try:
        connection.key_expires_at = books.key_expiry()
    except OdooError:
        connection.key_expires_at = None
        report.fail("key", title, "Odoo did not say when the user's API keys expire.",
                    "Check the key's expiry date in Odoo (Preferences → Account Security).", required=False)
        return
    if connection.key_expires_at is None:
        report.ok("key", title, "The API key does not expire.", required=False)
        return
    days = (connection.key_expires_at - timezone.now()).days
    when = f"on {connection.key_expires_at:%Y-%m-%d} ({days} days from now)" if days >= 0 else "already"
    if days < KEY_EXPIRY_WARNING_DAYS:
        report.fail("key", title, f"The user's API key expires {when}; exports stop then.",
                    "In Odoo make a new API key for the integration user (Preferences → Account Security → New "
                    "API Key) and enter it here.", required=False)
    else:
        report.ok("key", title, f"The API key expires {when}.", required=False)


def _odoo_rights_checks(books: OdooBooks, connection: OdooConnection, report: ConnectionCheck) -> None:
    title = ODOO_CHECK_TITLES
    users_guide = "In Odoo: Settings → Users & Companies → Users → the integration user → "
    if any(books.has_group(group) for group in ACCOUNTANT_GROUPS):
        report.ok("accountant", title["accountant"])
    else:
        report.fail("accountant", title["accountant"], "The integration user has no Accounting rights.",
                    users_guide + "Accounting: set “Accountant” (or “Adviser”).")
    if books.has_group(SETTINGS_GROUP):
        report.ok("settings", title["settings"])
    else:
        report.fail("settings", title["settings"], "The integration user has no Settings rights.",
                    users_guide + "Administration: set “Settings”.")

    report.companies = books.user_companies()
    allowed = {c["id"]: c["name"] for c in report.companies}
    company_id = connection.company_id or (report.companies[0]["id"] if len(report.companies) == 1 else None)
    if company_id is None:
        report.fail("company", title["company"],
                    "The user is allowed in several companies: " + ", ".join(allowed.values()) + ".",
                    "Choose the client's Odoo company on this page, then Verify again.")
        raise _Stop
    if company_id not in allowed:
        report.fail("company", title["company"],
                    f"The user is not allowed in the chosen company (id {company_id}). Allowed: {', '.join(allowed.values()) or 'none'}.",
                    users_guide + "Allowed Companies: add the client's company, or choose another company here.")
        raise _Stop
    report.ok("company", title["company"], allowed[company_id])
    connection.company_id, connection.company_name = company_id, allowed[company_id]
    # Odoo shows multi-company records only for the companies in the context: read as the client's company.
    books = OdooBooks(odoo_client_for(connection), version=books.dialect.version, company_id=company_id)

    if books.module_installed("hr"):
        report.ok("employees", title["employees"])
    else:
        report.fail("employees", title["employees"],
                    "The Employees app is not installed; out-of-pocket expenses are booked on employees.",
                    "In Odoo: Apps → Employees → Install.")

    journal_types = {j["type"] for j in books.journals(types=["purchase", "general"])}
    missing = [label for kind, label in (("purchase", "a purchase journal (vendor bills)"),
                                         ("general", "a miscellaneous journal (card expenses)")) if kind not in journal_types]
    if missing:
        report.fail("journals", title["journals"], "Missing " + " and ".join(missing) + ".",
                    "In Odoo: Accounting → Configuration → Journals → New.")
    else:
        report.ok("journals", title["journals"])
    if books.accounts_count(account_type="liability_payable"):
        report.ok("payable", title["payable"])
    else:
        report.fail("payable", title["payable"], "The company has no active account of type Payable.",
                    "In Odoo: Accounting → Configuration → Chart of Accounts → New, type Payable.")

    # Rights only some options need: the export creates supplier contacts it cannot find, and the
    # set-up helper creates missing accounts and journals (odoo-contract recordings 23 and 27).
    if books.has_group(CONTACT_CREATION_GROUP):
        report.ok("contact_creation", title["contact_creation"], required=False)
    else:
        report.fail("contact_creation", title["contact_creation"],
                    "Needed to book vendor bills for suppliers that are not yet in Odoo.",
                    users_guide + "Extra Rights: tick “Contact Creation”.", required=False)
    if books.has_group(ADVISER_GROUP):
        report.ok("adviser", title["adviser"], required=False)
    else:
        report.fail("adviser", title["adviser"],
                    "Needed only if the portal should create missing accounts and journals for you.",
                    users_guide + "Accounting: set “Adviser”.", required=False)


def _odoo_sentence(exc: Exception, url: str) -> str:
    if isinstance(exc, OdooError):
        return str(exc)
    return f"The server at {url} answered, but not with Odoo's version information."


def odoo_company_choose(*, connection: OdooConnection, company_id: int) -> OdooConnection:
    """Choose the client's Odoo company from the list the last Verify read from Odoo."""
    companies = {c["id"]: c["name"] for c in connection.check_report.get("companies", [])}
    if company_id not in companies:
        raise ValidationError("Choose one of the companies the integration user is allowed in (press Verify to refresh the list).")
    connection, changed = model_update(instance=connection, fields=["company_id", "company_name"],
                                       data={"company_id": company_id, "company_name": companies[company_id]})
    return connection


PLEO_CHECK_TITLES = {
    "address": "The address is a safe web address",
    "token": "Pleo accepts the API token",
    "scopes": "The token may read and report exports",
    "company": "The Pleo company is reachable with this token",
}


def pleo_connection_verify(*, connection: PleoConnection) -> ConnectionCheck:
    """Check the token against Pleo (introspect), its scopes, and the chosen Pleo company."""
    report = _checks_run(connection, _pleo_checks, PLEO_CHECK_TITLES)
    _report_store(connection, report)
    return report


def _pleo_checks(connection: PleoConnection, report: ConnectionCheck) -> None:
    title = PLEO_CHECK_TITLES
    try:
        url_policy_check(connection.api_base_url)
    except ValidationError as exc:
        report.fail("address", title["address"], " ".join(exc.messages), "Use https://external.pleo.io.")
        raise _Stop
    report.ok("address", title["address"], connection.api_base_url)
    client = pleo_client_for(connection)
    try:
        info = client.introspect()
    except PleoAuthenticationError:
        report.fail("token", title["token"], "Pleo refused the API token.",
                    "In Pleo: Settings → API keys → create a key for this integration, and enter it here.")
        raise _Stop
    except PleoError as exc:
        report.fail("token", title["token"], str(exc), "Try again later.")
        raise _Stop
    report.ok("token", title["token"], f"Authenticated as {info.get('authMethod') or 'API client'}.")

    granted = set((info.get("scope") or "").split())
    missing = [s for s in PLEO_REQUIRED_SCOPES if s not in granted]
    if missing:
        report.fail("scopes", title["scopes"], "The token lacks the scopes: " + ", ".join(missing) + ".",
                    "Create a token with the export scopes (export-jobs:read, export-jobs:write, export-items:read).")
    else:
        report.ok("scopes", title["scopes"])

    subject = info.get("subjectURN") or ""
    kind, _, subject_id = subject.removeprefix("urn:pleo:").partition(":")
    company_id = connection.company_id
    if kind == "company":
        if company_id and company_id != subject_id:
            report.fail("company", title["company"],
                        f"This token belongs to Pleo company {subject_id}, not to {company_id}.",
                        "Use the token of the client's Pleo company, or clear the company id.")
            raise _Stop
        company_id = subject_id
    report.companies = [{"id": subject_id, "name": connection.company_name or subject_id}] if kind == "company" else []
    if not company_id:
        # Pleo's contract has no way to list an organisation's companies: the id is entered by hand.
        report.fail("company", title["company"], "This token belongs to an organisation with several companies.",
                    "Enter the Pleo company id of this client (Pleo: Settings → Company → id), then Verify again.")
        raise _Stop
    try:
        client.export_jobs(company_id=company_id, statuses=("pending",))
    except (PleoNotFoundError, PleoPermissionError):
        report.fail("company", title["company"], f"Pleo company {company_id} is not reachable with this token.",
                    "Check the company id, or use a token that covers this company.")
        raise _Stop
    except PleoError as exc:
        report.fail("company", title["company"], str(exc), "Try again later.")
        raise _Stop
    report.ok("company", title["company"], company_id)
    connection.company_id = company_id


def pleo_company_choose(*, connection: PleoConnection, company_id: str, company_name: str = "") -> PleoConnection:
    connection, _ = model_update(instance=connection, fields=["company_id", "company_name"],
                                 data={"company_id": company_id.strip(), "company_name": company_name.strip()})
    return connection


def _checks_run(connection, checks, titles: dict[str, str], optional=frozenset()) -> ConnectionCheck:
    """Run the checks in order; those a failed step made meaningless are listed as not checked."""
    report = ConnectionCheck()
    try:
        checks(connection, report)
    except _Stop:
        pass
    done = {c.key for c in report.checks}
    report.checks += [
        Check(key, title, None, "Not checked: an earlier check failed.", required=key not in optional)
        for key, title in titles.items() if key not in done
    ]
    return report


def _report_store(connection, report: ConnectionCheck) -> None:
    connection.check_report = report.as_dict()
    connection.verified_at = timezone.now()
    connection.verification_passed = report.passed
    connection.save()
    if report.passed:
        connection_success_record(connection=connection)
    else:
        failed = report.failures[0]
        connection_failure_record(
            connection=connection, reason=f"Verify failed: {failed.detail} {failed.fix}".strip(),
            credentials_refused=failed.key in CREDENTIAL_CHECKS,
        )


# The checks whose failure means the stored login, API key or token is refused.
CREDENTIAL_CHECKS = frozenset({"login", "token"})


# Health -----------------------------------------------------------------------------------------
# Written with update() so a run every five minutes adds no connection history rows.

def connection_failure_record(*, connection, reason: str, credentials_refused: bool = False) -> None:
    """Note on the connection that it failed, since when and why, for the dashboard."""
    now = timezone.now()
    connection.failing_since = connection.failing_since or now
    connection.last_failure = reason[:2000]
    if credentials_refused:
        connection.credentials_refused_at = connection.credentials_refused_at or now
    type(connection).objects.filter(pk=connection.pk).update(
        failing_since=connection.failing_since, last_failure=connection.last_failure,
        credentials_refused_at=connection.credentials_refused_at,
    )


def connection_success_record(*, connection) -> None:
    """The connection worked: clear what the dashboard showed against it."""
    if not (connection.failing_since or connection.last_failure or connection.credentials_refused_at):
        return
    connection.failing_since, connection.last_failure, connection.credentials_refused_at = None, "", None
    type(connection).objects.filter(pk=connection.pk).update(
        failing_since=None, last_failure="", credentials_refused_at=None,
    )


# Key rotation -----------------------------------------------------------------------------------

@dataclass
class EncryptedFieldRotation:
    """What re-encrypting one encrypted field of one model did."""

    name: str  # "integrations.OdooConnection.api_key"
    re_encrypted: int = 0
    already_current: int = 0
    # "Odoo connection 12": values no configured key decrypts, left as they are (never logged: the value).
    unreadable: list[str] = field(default_factory=list)


def encrypted_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every encrypted field of every installed model, found by introspection so none is forgotten."""
    return [
        (model, model_field)
        for model in apps.get_models()
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, EncryptedFieldMixin)
    ]


def encryption_key_rotate(*, batch_size: int = 500) -> list[EncryptedFieldRotation]:
    """Re-encrypt every stored secret with the current key: the first ENCRYPTION_SALT with SECRET_KEY.

    Zero downtime: while the old salt (or old secret key in SECRET_KEY_FALLBACKS) is still configured
    after the new one, every value reads with either key; once this has run, the old one can go.
    Idempotent: a value already under the current key is left alone. Works in batches, each in its own
    transaction with its rows locked, so a key saved at the same moment is not overwritten with an old one.
    A value no configured key decrypts is left as it is and listed: re-encrypting it would store garbage.
    """
    results = []
    for model, model_field in encrypted_fields():
        keys = [Fernet(key) for key in model_field.keys]
        current, readable = keys[0], MultiFernet(keys)
        result = EncryptedFieldRotation(name=f"{model._meta.label}.{model_field.name}")
        # The stored text as it is in the database: reading the field itself would decrypt it.
        stored = model._base_manager.annotate(stored=Cast(model_field.attname, output_field=models.TextField()))
        last_pk = None
        while True:
            with transaction.atomic():
                batch = stored.exclude(stored__isnull=True).exclude(stored="").order_by("pk").select_for_update()
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                rows = list(batch.values_list("pk", "stored")[:batch_size])
                for pk, token in rows:
                    try:
                        current.decrypt(token.encode())
                        result.already_current += 1
                        continue
                    except InvalidToken:
                        pass
                    try:
                        new_token = readable.rotate(token.encode()).decode()
                    except InvalidToken:
                        result.unreadable.append(f"{model._meta.verbose_name} {pk}")
                        continue
                    # A Value is written as it is; assigning the field would encrypt the token once more.
                    model._base_manager.filter(pk=pk).update(
                        **{model_field.attname: Value(new_token, output_field=models.TextField())}
                    )
                    result.re_encrypted += 1
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
        results.append(result)
    return results
