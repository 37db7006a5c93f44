"""Verify for Odoo: check the connection step by step as an integration user's set-up guide goes, and
choose the client's company from what it found."""
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.checks import ConnectionCheck, StopChecks, check_report_store, checks_run
from integrations.formats import day
from integrations.health import KEY_EXPIRY_WARNING_DAYS
from integrations.models import OdooConnection
from integrations.odoo.books import (
    ACCOUNTANT_GROUPS,
    ADVISER_GROUP,
    CONTACT_CREATION_GROUP,
    SETTINGS_GROUP,
    OdooBooks,
)
from integrations.odoo.chart import AccountType, JournalType
from integrations.odoo.dialects import SUPPORTED_VERSIONS
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooError,
    OdooNotFoundError,
    OdooProtocolError,
)
from integrations.odoo.json2 import JSON2, JSONRPC
from integrations.selectors import odoo_client_for
from integrations.services import model_update
from integrations.transport import url_policy_check

__all__ = ["ODOO_CHECK_TITLES", "odoo_connection_verify", "odoo_company_choose"]

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
    report = checks_run(connection=connection, checks=_odoo_checks, titles=ODOO_CHECK_TITLES,
                        optional={"key", "contact_creation", "adviser"})
    connection.server_version, connection.user_id = report.server_version, report.user_id
    check_report_store(connection=connection, report=report)
    return report


def _odoo_checks(connection: OdooConnection, report: ConnectionCheck) -> None:
    title = ODOO_CHECK_TITLES
    try:
        url_policy_check(connection.url)
    except ValidationError as exc:
        report.fail("address", title["address"], " ".join(exc.messages),
                    "Enter the https address of the Odoo instance.")
        raise StopChecks from None
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
        report.fail("server", title["server"],
                    f"The server at {connection.url} does not answer like Odoo's external API.",
                    "Check the address: it is the one you open Odoo with in the browser, without /web or /odoo.")
        raise StopChecks from None
    except (OdooError, KeyError, TypeError, ValueError, IndexError) as exc:
        report.fail("server", title["server"], _odoo_sentence(exc, connection.url),
                    "Check the address and that the Odoo instance is running and reachable from the portal.")
        raise StopChecks from None
    report.ok("server", title["server"], f"Odoo {report.server_version}"
              + (" (JSON-2)" if connection.protocol == JSON2 else " (JSON-RPC)"))
    if major not in SUPPORTED_VERSIONS:
        versions = ", ".join(map(str, SUPPORTED_VERSIONS[:-1]))
        report.fail("version", title["version"],
                    f"This server runs Odoo {report.server_version}; the portal works with Odoo {versions} and "
                    f"{SUPPORTED_VERSIONS[-1]}.",
                    f"Connect an Odoo {versions} or {SUPPORTED_VERSIONS[-1]} database, or wait for a portal "
                    "release that supports this version.")
        raise StopChecks
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
        raise StopChecks
    if report.databases and database not in report.databases:
        report.fail("database", title["database"],
                    f"There is no database “{database}” on this server. Databases: {', '.join(report.databases)}.",
                    "Pick one of the listed databases.")
        raise StopChecks

    try:
        uid = client.authenticate()
    except OdooNotFoundError:
        hint = (f" On Odoo Online it is usually the subdomain: “{proposal}”."
                if proposal and proposal != database else "")
        report.fail("database", title["database"], f"There is no database “{database}” on this server.{hint}",
                    "Check the database name (Settings → Activate developer mode shows it in the top menu).")
        raise StopChecks from None
    except OdooAuthenticationError:
        report.ok("database", title["database"], database)
        plan = (" On Odoo Online, API access also depends on the subscription plan: the Free/One App plan "
                "has no external API access.") if on_odoo_online else ""
        report.fail("login", title["login"], f"Odoo refused the login “{connection.login}” with this API key.{plan}",
                    "In Odoo, open the integration user's Preferences → Account Security → New API Key, and "
                    "enter the new key here together with the user's login e-mail.")
        raise StopChecks from None
    except OdooError as exc:
        report.fail("login", title["login"], _odoo_sentence(exc, connection.url), "Try again later.")
        raise StopChecks from None
    report.ok("database", title["database"], database)
    report.user_id = connection.user_id = uid
    report.ok("login", title["login"], f"Signed in as “{connection.login}”.")
    books = OdooBooks(client, version=major, company_id=None)
    _odoo_key_check(books, connection, report)

    try:
        _odoo_rights_checks(books, connection, report)
    except OdooError as exc:
        step = next((k for k in ODOO_CHECK_TITLES if k not in {c.key for c in report.checks}), "company")
        report.fail(step, title[step], _odoo_sentence(exc, connection.url),
                    "Try Verify again; if it keeps failing, check the user's rights in Odoo.")
        raise StopChecks from None


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
    when = f"on {day(timezone.localtime(connection.key_expires_at).date())} ({days} days from now)" if days >= 0 \
        else "already"
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
        raise StopChecks
    if company_id not in allowed:
        chosen = connection.company_name or f"id {company_id}"
        report.fail("company", title["company"],
                    f"The user is not allowed in the chosen company ({chosen}). "
                    f"Allowed: {', '.join(allowed.values()) or 'none'}.",
                    users_guide + "Allowed Companies: add the client's company, or choose another company here.")
        raise StopChecks
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

    journal_types = {j["type"] for j in books.journals(types=[JournalType.PURCHASE, JournalType.MISCELLANEOUS])}
    missing = [label for kind, label in ((JournalType.PURCHASE, "a purchase journal (vendor bills)"),
                                         (JournalType.MISCELLANEOUS, "a miscellaneous journal (card expenses)"))
               if kind not in journal_types]
    if missing:
        report.fail("journals", title["journals"], "Missing " + " and ".join(missing) + ".",
                    "In Odoo: Accounting → Configuration → Journals → New.")
    else:
        report.ok("journals", title["journals"])
    if books.accounts_count(account_type=AccountType.PAYABLE):
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
        raise ValidationError("Choose one of the companies the integration user is allowed in "
                              "(press Verify to refresh the list).")
    connection, changed = model_update(instance=connection, fields=["company_id", "company_name"],
                                       data={"company_id": company_id, "company_name": companies[company_id]})
    return connection
