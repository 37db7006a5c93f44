"""Verify for Pleo: check the token, its scopes and the client's Pleo company, and choose that company."""
from django.core.exceptions import ValidationError

from integrations.checks import ConnectionCheck, StopChecks, check_report_store, checks_run
from integrations.models import PleoConnection
from integrations.pleo.errors import (
    PleoAuthenticationError,
    PleoError,
    PleoNotFoundError,
    PleoPermissionError,
)
from integrations.selectors import pleo_client_for
from integrations.services import model_update
from integrations.transport import url_policy_check
from integrations.webhooks import pleo_webhook_subscribe

__all__ = ["PLEO_REQUIRED_SCOPES", "PLEO_CHECK_TITLES", "pleo_connection_verify", "pleo_company_choose"]

# The export reads jobs and items and writes events and item results (pleo-api README §3).
PLEO_REQUIRED_SCOPES = ("export-jobs:read", "export-jobs:write", "export-items:read")

PLEO_CHECK_TITLES = {
    "address": "The address is a safe web address",
    "token": "Pleo accepts the API token",
    "scopes": "The token may read and report exports",
    "company": "The Pleo company is reachable with this token",
    "webhook": "Pleo announces new export jobs to the portal (webhook)",
}


def pleo_connection_verify(*, connection: PleoConnection) -> ConnectionCheck:
    """Check the token against Pleo (introspect), its scopes, and the chosen Pleo company."""
    report = checks_run(connection=connection, checks=_pleo_checks, titles=PLEO_CHECK_TITLES, optional={"webhook"})
    check_report_store(connection=connection, report=report)
    return report


def _pleo_checks(connection: PleoConnection, report: ConnectionCheck) -> None:
    title = PLEO_CHECK_TITLES
    try:
        url_policy_check(connection.api_base_url)
    except ValidationError as exc:
        report.fail("address", title["address"], " ".join(exc.messages), "Use https://external.pleo.io.")
        raise StopChecks from None
    report.ok("address", title["address"], connection.api_base_url)
    client = pleo_client_for(connection)
    try:
        info = client.introspect()
    except PleoAuthenticationError:
        report.fail("token", title["token"], "Pleo refused the API token.",
                    "In Pleo: Settings → API keys → create a key for this integration, and enter it here.")
        raise StopChecks from None
    except PleoError as exc:
        report.fail("token", title["token"], str(exc), "Try again later.")
        raise StopChecks from None
    subject = info.get("subjectURN") or ""
    kind, _, subject_id = subject.removeprefix("urn:pleo:").partition(":")
    report.ok("token", title["token"], _signed_in_words(info, connection, kind=kind, subject_id=subject_id))

    granted = set((info.get("scope") or "").split())
    missing = [s for s in PLEO_REQUIRED_SCOPES if s not in granted]
    if missing:
        report.fail("scopes", title["scopes"], "The token lacks the scopes: " + ", ".join(missing) + ".",
                    "Create a token with the export scopes (export-jobs:read, export-jobs:write, export-items:read).")
    else:
        report.ok("scopes", title["scopes"])

    company_id = connection.company_id
    if kind == "company":
        if company_id and company_id != subject_id:
            chosen = f"{connection.company_name} ({company_id})" if connection.company_name else company_id
            report.fail("company", title["company"],
                        f"This token belongs to Pleo company {subject_id}, not to {chosen}.",
                        "Use the token of the client's Pleo company, or clear the company id.")
            raise StopChecks
        company_id = subject_id
    report.companies = [{"id": subject_id, "name": connection.company_name or subject_id}] if kind == "company" else []
    if not company_id:
        # Pleo's contract has no way to list an organisation's companies: the id is entered by hand.
        report.fail("company", title["company"], "This token belongs to an organisation with several companies.",
                    "Enter the Pleo company id of this client (Pleo: Settings → Company → id), then Verify again.")
        raise StopChecks
    try:
        client.export_jobs(company_id=company_id, statuses=("pending",))
    except (PleoNotFoundError, PleoPermissionError):
        report.fail("company", title["company"], f"Pleo company {company_id} is not reachable with this token.",
                    "Check the company id, or use a token that covers this company.")
        raise StopChecks from None
    except PleoError as exc:
        report.fail("company", title["company"], str(exc), "Try again later.")
        raise StopChecks from None
    report.ok("company", title["company"], connection.company_name or f"Pleo company {company_id}")
    connection.company_id = company_id
    working, words = pleo_webhook_subscribe(connection=connection, client=client)
    if working:
        report.ok("webhook", title["webhook"], words, required=False)
    else:
        report.fail("webhook", title["webhook"], words, "Set PORTAL_PUBLIC_URL to the portal's https address and "
                    "let the reverse proxy forward /webhooks/pleo/ to it (README: Pleo's webhooks).", required=False)


def _signed_in_words(info: dict, connection: PleoConnection, *, kind: str, subject_id: str) -> str:
    """Pleo's introspection (authMethod OAUTH2, API_KEY or NONE; whose token it is) as a bookkeeper says it."""
    if kind == "company":
        named = connection.company_name and connection.company_id in ("", subject_id)
        owner = connection.company_name if named else "a Pleo company"
    else:
        owner = "a Pleo organisation" if kind == "organization" else ""
    method, app = info.get("authMethod"), (info.get("applicationName") or "").strip()
    if method == "API_KEY":
        return f"Signed in with the API key of {owner}." if owner else "Signed in with an API key."
    if method == "OAUTH2":
        how = f"Signed in through the app “{app}”" if app else "Signed in through a Pleo app"
        return f"{how}, for {owner}." if owner else f"{how}."
    return f"Signed in for {owner}." if owner else "Signed in."


def pleo_company_choose(*, connection: PleoConnection, company_id: str, company_name: str = "") -> PleoConnection:
    connection, _ = model_update(instance=connection, fields=["company_id", "company_name"],
                                 data={"company_id": company_id.strip(), "company_name": company_name.strip()})
    return connection
