"""Server-side request forgery: every address the portal calls is checked, at save, at Verify, before each
request and on every redirect hop, and the address each connection reaches. The resolver is patched, so no
test resolves for real; `responses` answers the requests that pass, and fails any request nobody registered;
the DNS rebinding tests connect only to a listener of their own on loopback."""
import socket

import pytest
import requests
import responses
from django.core.exceptions import ValidationError
from django.urls import reverse

from integrations.models import OdooConnection
from integrations.odoo.errors import OdooError
from integrations.pleo.errors import PleoError
from integrations.selectors import odoo_client_for, pleo_client_for
from integrations.services import odoo_connection_save
from integrations.transport import AddressRefused, http_session, url_policy_check
from integrations.verify_odoo import odoo_connection_verify
from tests.factories import OdooConnectionFactory, PleoConnectionFactory

PUBLIC = "93.184.216.34"  # a public address; nothing here ever connects to it (responses answers)


@pytest.fixture
def dns(monkeypatch):
    """The resolver, patched: names resolve to what the test puts in the table, other names to nothing."""
    table = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in table[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def no_loopback(settings):
    settings.ALLOW_HTTP_LOOPBACK = False


def refusal(url) -> str:
    with pytest.raises(ValidationError) as caught:
        url_policy_check(url)
    return " ".join(caught.value.messages)


@pytest.mark.parametrize("url, words", [
    # metadata services, by name and by address in every spelling
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://METADATA.google.internal./", "metadata"),
    ("https://2852039166/", "metadata"),  # decimal
    ("https://0xa9.0xfe.0xa9.0xfe/", "metadata"),  # hex
    ("https://0xA9FEA9FE/", "metadata"),
    ("https://0251.0376.0251.0376/", "metadata"),  # octal
    ("https://169.254.43518/", "metadata"),  # two-part form
    ("https://[::ffff:169.254.169.254]/", "metadata"),  # IPv4-mapped IPv6
    ("https://[::ffff:a9fe:a9fe]/", "metadata"),
    ("https://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64
    # private networks (RFC 1918, ULA)
    ("https://10.0.0.5/", "private network"),
    ("https://172.16.3.4:8069/", "private network"),
    ("https://192.168.1.1/", "private network"),
    ("https://012.0.0.1/", "private network"),  # octal 10.0.0.1
    ("https://[::ffff:10.0.0.1]/", "private network"),
    ("https://[fd12:3456::1]/", "private network"),
    # link-local, multicast, unspecified, reserved
    ("https://169.254.10.10/", "link-local"),
    ("https://[fe80::1]/", "link-local"),
    ("https://224.0.0.1/", "multicast"),
    ("https://[ff02::1]/", "multicast"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://0/", "unspecified"),
    ("https://[::]/", "unspecified"),
    ("https://240.0.0.1/", "reserved"),
    ("https://100.64.0.1/", "reserved"),  # carrier-grade NAT: not public
])
def test_forbidden_addresses_are_refused_in_every_spelling(dns, url, words):
    # Were the number resolved like a name, it would pass: the refusal comes from reading it as an address.
    dns.update({h: [PUBLIC] for h in ("2852039166", "0xa9.0xfe.0xa9.0xfe", "0xA9FEA9FE", "0")})
    assert words in refusal(url)


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/", "https://2130706433/", "https://0x7f.1/", "https://017700000001/", "https://127.1/",
    "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://localhost/",
])
def test_loopback_is_refused_unless_allowed(dns, settings, url):
    dns["localhost"] = ["127.0.0.1"]
    settings.ALLOW_HTTP_LOOPBACK = False
    assert "loopback" in refusal(url)
    settings.ALLOW_HTTP_LOOPBACK = True
    url_policy_check(url)


def test_a_name_resolving_to_a_private_address_is_refused_and_named(dns):
    dns["odoo.firm.example"] = ["10.1.2.3"]
    words = refusal("https://odoo.firm.example")
    assert "10.1.2.3" in words and "HTTP_PRIVATE_HOSTS_ALLOWED" in words


def test_one_forbidden_address_among_public_ones_is_enough_to_refuse(dns):
    dns["mixed.example"] = [PUBLIC, "169.254.169.254"]
    assert "metadata" in refusal("https://mixed.example")
    dns["mixed6.example"] = [PUBLIC, "fe80::1%eth0"]
    assert "link-local" in refusal("https://mixed6.example")


def test_public_hosts_pass_and_unresolvable_names_pass_as_nothing_to_reach(dns):
    dns["acme.odoo.com"] = [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    url_policy_check("https://acme.odoo.com")
    url_policy_check(f"https://{PUBLIC}:8443/")
    url_policy_check("https://not-registered.example")


def test_the_firm_can_allow_its_own_server_by_name(dns, settings):
    dns["odoo.firm.lan"] = ["192.168.10.20"]
    settings.HTTP_PRIVATE_HOSTS_ALLOWED = ["ODOO.firm.lan"]
    url_policy_check("https://odoo.firm.lan")
    # plain http needs the second setting as well: the key would cross the network unencrypted
    assert "plain http" in refusal("http://odoo.firm.lan")
    settings.HTTP_ALLOWED_HOSTS = ["odoo.firm.lan"]
    url_policy_check("http://odoo.firm.lan:8069")
    dns["other.firm.lan"] = ["10.0.0.9"]  # allowing one host allows no other
    assert "private network" in refusal("https://other.firm.lan")


def test_the_metadata_service_stays_refused_even_when_allowed_by_setting(dns, settings):
    settings.HTTP_PRIVATE_HOSTS_ALLOWED = ["metadata.google.internal", "169.254.169.254"]
    assert "metadata" in refusal("https://metadata.google.internal")
    assert "metadata" in refusal("https://169.254.169.254")


@pytest.mark.parametrize("url, words", [
    ("http://odoo.example.com", "plain http"),
    (f"http://{PUBLIC}", "plain http"),
    ("ftp://odoo.example.com", "not a web address"),
    ("file:///etc/passwd", "not a web address"),
    ("https://odoo.example.com:99999", "not a web address"),
    ("https://user:pw@odoo.example.com", "user name and password"),
])
def test_scheme_port_and_credentials_rules(dns, url, words):
    assert words in refusal(url)


def test_plain_http_to_loopback_only_when_allowed(dns, settings):
    settings.ALLOW_HTTP_LOOPBACK = True
    url_policy_check("http://127.0.0.1:8069")
    settings.ALLOW_HTTP_LOOPBACK = False
    assert "plain http" in refusal("http://127.0.0.1:8069")


def test_the_sandbox_host_of_the_test_settings_still_passes():
    url_policy_check("http://sandbox.test/sandbox/odoo/client16")


# At save ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_saving_an_address_inside_the_network_puts_the_reason_on_the_field(dns, client, superuser, client_company):
    dns["odoo.firm.example"] = ["192.168.1.10"]
    client.force_login(superuser)
    page = client.post(reverse("admin:integrations_odooconnection_add"), {
        "client": client_company.pk, "url": "https://odoo.firm.example", "database": "firm",
        "login": "pleo@example.com", "new_api_key": "k-123456"})
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert "private network" in " ".join(errors["url"])
    assert not OdooConnection.objects.exists()


@pytest.mark.django_db
def test_the_save_service_names_the_field_too(dns, client_company):
    with pytest.raises(ValidationError) as caught:
        odoo_connection_save(client=client_company, api_key="k-1",
                             data={"url": "https://169.254.169.254", "database": "x", "login": "a@b.nl"})
    assert "metadata" in " ".join(caught.value.message_dict["url"])


# At every request ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_name_that_later_resolves_inside_the_network_is_refused_before_the_request(dns):
    dns["acme.odoo.com"] = [PUBLIC]
    connection = OdooConnectionFactory(url="https://acme.odoo.com")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, "https://acme.odoo.com/jsonrpc",
                 json={"jsonrpc": "2.0", "id": 1, "result": {"server_version": "17.0", "server_version_info": [17]}})
        assert odoo_client_for(connection, company=False).version()["server_version"] == "17.0"
        assert len(rsps.calls) == 1

        dns["acme.odoo.com"] = ["10.20.30.40"]  # DNS rebinding after the connection was saved
        with pytest.raises(OdooError):
            odoo_client_for(connection, company=False).version()
        report = odoo_connection_verify(connection=connection)
        assert len(rsps.calls) == 1  # nothing was sent
    address = next(c for c in report.checks if c.key == "address")
    assert address.passed is False and "private network" in address.detail


# Redirects ----------------------------------------------------------------------------------------

def test_a_redirect_from_an_allowed_host_to_the_metadata_service_is_refused(dns):
    dns["files.example.com"] = [PUBLIC]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, "https://files.example.com/r.pdf", status=302,
                 headers={"Location": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"})
        rsps.add(responses.GET, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", body="secret")
        with pytest.raises(AddressRefused, match="metadata"):
            http_session().get("https://files.example.com/r.pdf")
        assert [c.request.url for c in rsps.calls] == ["https://files.example.com/r.pdf"]


def test_every_hop_is_checked_and_safe_redirects_are_followed(dns):
    dns.update({"a.example.com": [PUBLIC], "b.example.com": [PUBLIC], "internal.example.com": ["172.20.0.3"]})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, "https://a.example.com/1", status=302, headers={"Location": "https://b.example.com/2"})
        rsps.add(responses.GET, "https://b.example.com/2", status=307, headers={"Location": "https://internal.example.com/3"})
        rsps.add(responses.GET, "https://internal.example.com/3", body="internal")
        rsps.add(responses.GET, "https://b.example.com/ok", body="fine")
        with pytest.raises(AddressRefused, match="private network"):
            http_session().get("https://a.example.com/1")
        assert len(rsps.calls) == 2
        assert http_session().get("https://b.example.com/ok").text == "fine"


@pytest.mark.django_db
def test_a_receipt_link_that_redirects_inside_the_network_is_not_downloaded(dns):
    dns.update({"pleo.example.com": [PUBLIC], "receipts.example.com": [PUBLIC]})
    connection = PleoConnectionFactory(api_base_url="https://pleo.example.com")
    signed = "https://receipts.example.com/r/1.pdf?X-Amz-Signature=very-secret-signature"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, signed, status=301, headers={"Location": "https://[::ffff:192.168.0.1]/r.pdf"})
        rsps.add(responses.GET, "https://[::ffff:192.168.0.1]/r.pdf", body=b"%PDF-1.4")
        with pytest.raises(PleoError) as caught:
            pleo_client_for(connection).file_download(signed, max_bytes=1000)
        assert {c.request.url for c in rsps.calls} == {signed}  # asked again (a read), never followed
    assert "very-secret-signature" not in str(caught.value) + repr(caught.value)


# DNS rebinding ------------------------------------------------------------------------------------

def test_a_name_that_resolves_inward_when_connecting_is_refused_before_anything_is_sent(dns, no_loopback):
    """Naive: checking the name once before the request, while the connection resolves it again."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    answers = iter([[PUBLIC], ["127.0.0.1"]])  # public for the check, the server itself for the connection
    dns["rebind.example.com"] = []

    real = socket.getaddrinfo

    def rebinding(host, port_, *args, **kwargs):
        if host == "rebind.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port_)) for a in next(answers)]
        return real(host, port_, *args, **kwargs)

    socket.getaddrinfo = rebinding  # the dns fixture's monkeypatch puts the original back
    try:
        with pytest.raises(AddressRefused, match="127.0.0.1"):
            http_session().get(f"https://rebind.example.com:{port}/", timeout=3)
        listener.settimeout(0.5)
        connection, _ = listener.accept()  # the socket connected, then was closed before the TLS hello
        connection.settimeout(1)
        assert connection.recv(1024) == b""
        connection.close()
    finally:
        listener.close()


def test_a_name_allowed_by_the_firm_may_connect_inward(dns, no_loopback, settings):
    settings.HTTP_PRIVATE_HOSTS_ALLOWED = ["odoo.firm.internal"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    dns["odoo.firm.internal"] = ["127.0.0.1"]
    try:
        # Allowed: the connection is made and TLS starts (the bare listener never answers, so it times out).
        with pytest.raises(requests.exceptions.ReadTimeout):
            http_session().get(f"https://odoo.firm.internal:{port}/", timeout=(3, 0.5))
    finally:
        listener.close()
