"""The outgoing-address guard: which addresses the portal may call, and the HTTP session that enforces it.

Server-side request forgery: a URL typed into a connection, or sent by Pleo (receipts), must not make
the portal call inside the firm's network or the cloud machine's metadata service.
"""
import ipaddress
import re
import socket
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError

__all__ = ["AddressRefused", "PolicySession", "url_policy_check", "http_session"]

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
