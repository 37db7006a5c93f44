"""The setup helper: the Odoo accounts and journals the booking settings need, proposed, then created once confirmed."""
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from integrations.errors import PortalError
from integrations.models import Client
from integrations.odoo.chart import AccountType, JournalType
from integrations.selectors import odoo_company_books_get
from mappings.booking_settings import booking_settings_update
from mappings.models import BookingSettings

__all__ = ["ProposedRecord", "CreatedRecord", "setup_proposal", "setup_apply"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProposedRecord:
    """An Odoo account or journal the booking settings need and the client's Odoo company lacks."""

    id: str  # the setting it fills, e.g. "wallet_account"; stable so a confirmation names what was shown
    record: str  # "account" or "journal"
    code: str
    name: str
    kind: str  # the Odoo account type or journal type it is created with
    values: dict  # what Odoo creates it from (OdooBooks.account_create_values / journal_create_values)
    reason: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class CreatedRecord:
    id: str
    record: str  # "account" or "journal"
    odoo_id: int
    label: str


# (setting, account or journal, name, type, preferred code, why). Codes sit next to their kind in a Dutch-style chart;
# the next free number is used when the preferred one is taken.
_SETUP_RECORDS = (
    ("wallet_account", "account", "Pleo Wallet", AccountType.CURRENT_ASSETS, "109900",
     "Card expenses are paid from the Pleo Wallet; its balance needs a current-asset account."),
    ("out_of_pocket_account", "account", "Pleo out-of-pocket", AccountType.CURRENT_LIABILITIES, "149900",
     "What the company owes employees for expenses they paid themselves needs a current-liability account."),
    ("card_journal", "journal", "Pleo", JournalType.MISCELLANEOUS, "PLEO",
     "Card expenses booked as journal entries go to a Miscellaneous journal of their own."),
)


def setup_proposal(*, client: Client) -> list[ProposedRecord]:
    """What the setup helper offers to create: a needed record that is neither chosen in the settings nor
    present in Odoo under its name. Reads only; nothing is created here."""
    settings = BookingSettings.objects.filter(client=client).first()
    _, books = odoo_company_books_get(client=client)
    accounts = books.accounts(in_use_only=False)
    journals = books.journals(include_archived=True)
    proposal = []
    for setting, record, name, kind, code, reason in _SETUP_RECORDS:
        if settings is not None and getattr(settings, f"{setting}_id") is not None:
            continue
        existing = accounts if record == "account" else journals
        if any(row["name"].strip().lower() == name.lower() for row in existing):
            continue  # it exists: the bookkeeper only has to choose it
        free = _free_code(code, {row["code"] for row in existing})
        values = (books.account_create_values(name=name, code=free, account_type=kind) if record == "account"
                  else books.journal_create_values(name=name, code=free, journal_type=kind))
        proposal.append(ProposedRecord(id=setting, record=record, code=free, name=name, kind=kind, values=values,
                                       reason=reason))
    return proposal


def _free_code(code: str, taken: set[str]) -> str:
    if code not in taken:
        return code
    if code.isdigit():
        number = int(code)
        while str(number).zfill(len(code)) in taken:
            number += 1
        return str(number).zfill(len(code))
    for n in range(1, 100):
        candidate = f"{code[:4]}{n}"[:5]
        if candidate not in taken:
            return candidate
    raise PortalError(f"No free code near {code} in Odoo.")


def setup_apply(*, client: Client, proposal_ids: list[str], by=None) -> list[CreatedRecord]:
    """Create the confirmed proposals in Odoo, then choose them in the booking settings where those are empty.

    The proposal is computed again, so a record created meanwhile (a second click, another bookkeeper) is
    not made twice; Odoo writes are never retried (STYLE C7). Creating accounts and journals needs the
    Odoo "Billing Administrator" (Adviser) right: without it Odoo's refusal is raised as it is.
    """
    wanted = set(proposal_ids)
    _, books = odoo_company_books_get(client=client)
    created: list[CreatedRecord] = []
    for record in setup_proposal(client=client):
        if record.id not in wanted:
            continue
        try:
            odoo_id = books.chart_record_create(record.record, record.values)
        except PortalError as exc:
            if not created:
                raise
            done = ", ".join(c.label for c in created)
            raise PortalError(f"Created {done} in Odoo, then Odoo refused “{record.label}”: {exc}") from exc
        created.append(CreatedRecord(id=record.id, record=record.record, odoo_id=odoo_id, label=record.label))
        logger.info("mappings: created %s %s in Odoo for client %s", record.record, odoo_id, client.pk)
    if created:
        data = {f"{record.id}_id": record.odoo_id for record in created}
        try:
            booking_settings_update(client=client, data=data, by=by)
        except ValidationError as exc:
            # Created in Odoo all the same; the bookkeeper completes the settings and picks them there.
            logger.info("mappings: setup records created for client %s, settings still incomplete: %s",
                        client.pk, "; ".join(exc.messages))
    return created
