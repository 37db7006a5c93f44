"""Where Odoo's versions differ in what the portal reads and writes: one small dialect per version.

The facts are the recordings' (../shared/odoo-contract/README.md, "Odoo 16 versus 17" and "Odoo 18 and 19
versus 17"). A new version is one more entry here, plus the emulator's data.
"""
import re
from dataclasses import dataclass

__all__ = ["Dialect", "DIALECTS", "SUPPORTED_VERSIONS", "dialect_for", "major_version"]


@dataclass(frozen=True)
class Dialect:
    version: int
    # account.account's company link: a many2one before 18, a many2many (a code per company) from 18 (13, 28).
    account_companies: str
    # How an account is taken out of use: `deprecated` until 18, archived (`active`) in 19 (13).
    account_in_use: tuple[str, str, bool]
    # The company's lock dates that stop a purchase being booked on a day: period_lock_date until 17; from 18
    # fiscal year, purchase and hard lock dates (11). The tax lock date only stops changes to tax returns.
    purchase_lock_dates: tuple[str, ...]
    # has_group: a model call with the xml id until 17, a call on the user's record from 18 (08, 09).
    has_group_on_user: bool
    # API keys carry an expiration_date from 18 (112, 113).
    key_expiry: bool

    def account_company_domain(self, company_id: int) -> list:
        return [[self.account_companies, "in" if self.account_companies == "company_ids" else "=", company_id]]

    def account_in_use_domain(self) -> list:
        field, operator, value = self.account_in_use
        return [[field, operator, value]]

    def account_fields(self) -> list[str]:
        return [self.account_companies, self.account_in_use[0]]

    def account_companies_of(self, row: dict) -> list[int]:
        value = row.get(self.account_companies)
        if self.account_companies == "company_ids":
            return list(value or [])
        return [value[0]] if isinstance(value, list) and value else []

    @property
    def account_retired_word(self) -> str:
        """What Odoo calls an account taken out of use on this version."""
        return "deprecated" if self.account_in_use[0] == "deprecated" else "archived"

    def account_retired(self, row: dict) -> bool:
        field, _, in_use = self.account_in_use
        return bool(row.get(field)) != in_use  # the field is always read (account_fields)


_BASE = dict(account_companies="company_id", account_in_use=("deprecated", "=", False),
             purchase_lock_dates=("fiscalyear_lock_date", "period_lock_date"), has_group_on_user=False,
             key_expiry=False)
_FROM_18 = dict(_BASE, account_companies="company_ids",
                purchase_lock_dates=("fiscalyear_lock_date", "purchase_lock_date", "hard_lock_date"),
                has_group_on_user=True, key_expiry=True)
DIALECTS = {
    16: Dialect(16, **_BASE),
    17: Dialect(17, **_BASE),
    18: Dialect(18, **_FROM_18),
    19: Dialect(19, **dict(_FROM_18, account_in_use=("active", "=", True))),
}
SUPPORTED_VERSIONS = tuple(sorted(DIALECTS))


def major_version(server_version: str | int | None) -> int | None:
    """17 from "17.0", "17.0+e", "saas~17.4" or 17; None when there is no number."""
    if isinstance(server_version, int):
        return server_version
    found = re.search(r"(\d+)", server_version or "")
    return int(found.group(1)) if found else None


def dialect_for(server_version: str | int | None) -> Dialect:
    """The dialect of a verified server; a version the portal does not speak is a ValueError."""
    major = major_version(server_version)
    if major not in DIALECTS:
        raise ValueError(f"Odoo {server_version or '(unknown version)'} is not a version the portal works with "
                         f"(Odoo {', '.join(map(str, SUPPORTED_VERSIONS))}).")
    return DIALECTS[major]
