"""The check report Verify writes for either side (Odoo, Pleo): running the checks in order and storing it."""
from dataclasses import asdict, dataclass, field

from django.utils import timezone

from integrations.health import connection_failure_record, connection_success_record

__all__ = ["Check", "ConnectionCheck", "StopChecks", "CREDENTIAL_CHECKS", "checks_run", "check_report_store"]

# The checks whose failure means the stored login, API key or token is refused.
CREDENTIAL_CHECKS = frozenset({"login", "token"})


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


class StopChecks(Exception):
    """A check failed in a way that makes the remaining checks meaningless."""


def checks_run(*, connection, checks, titles: dict[str, str], optional=frozenset()) -> ConnectionCheck:
    """Run the checks in order; those a failed step made meaningless are listed as not checked."""
    report = ConnectionCheck()
    try:
        checks(connection, report)
    except StopChecks:
        pass
    done = {c.key for c in report.checks}
    report.checks += [
        Check(key, title, None, "Not checked: an earlier check failed.", required=key not in optional)
        for key, title in titles.items() if key not in done
    ]
    return report


def check_report_store(*, connection, report: ConnectionCheck) -> None:
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
