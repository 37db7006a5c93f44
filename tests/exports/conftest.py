"""Fixtures of the booking builder's tests: realistic Pleo export items from the sandbox, and the context
(mappings, accounts, journals) a fully set-up client would have for them.

The items are generated once per test session inside a transaction that is rolled back: the builder is
pure, so the tests only need the payloads and the ids of the sandbox company's reference data.
"""
import copy
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from django.db import transaction

from exports.plans import BookingContext, CategoryTarget, TaxTarget

__all__ = ["BookingFixtures"]

# Odoo ids of the fully set-up test client (any distinct numbers; the builder never reads Odoo).
ODOO = {
    "wallet_account_id": 711, "out_of_pocket_account_id": 712, "reimbursement_contra_account_id": 713,
    "payables_account_id": 82, "topup_bank_account_id": 714, "card_journal_id": 3, "bill_journal_id": 2,
}
CURRENCY_IDS = {"EUR": 126, "USD": 1, "GBP": 147}
ITEM_TYPES = (
    "card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "external_reimbursement",
    "direct_reimbursement", "invoice", "invoice_payment", "chargeback", "refund", "cashback", "atm_withdrawal",
    "wallet_topup", "wallet_unload", "personal_spend", "fee",
)


@dataclass(frozen=True)
class BookingFixtures:
    items_by_kind: dict  # scenario kind -> list of payloads (several seeds)
    context: BookingContext
    tax_codes: dict  # Pleo tax code id -> {"code", "rate", "type"}

    def item(self, kind: str, n: int = 0) -> dict:
        """A fresh copy of a generated payload, safe to change in a test."""
        return copy.deepcopy(self.items_by_kind[kind][n])

    def with_context(self, **changes) -> BookingContext:
        return replace(self.context, **changes)


@pytest.fixture(scope="session")
def booking_fixtures(django_db_setup, django_db_blocker) -> BookingFixtures:
    from sandbox.pleo.models import BookkeepingAccount, Tag, TaxCode
    from sandbox.pleo.scenarios import ITEM_KINDS, KIND_TYPES, export_items_generate
    from sandbox.pleo.services import sandbox_company_create

    items_by_kind: dict[str, list] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        company, _ = sandbox_company_create(name="Booking Test BV", currency="EUR",
                                            company_id=uuid.UUID("00000000-0000-4000-8000-00000000b00c"))
        for seed in range(3):
            kinds = list(KIND_TYPES) if seed == 0 else ITEM_KINDS
            for generated in export_items_generate(company=company, count=len(kinds), kinds=kinds, seed=seed,
                                                   with_receipts=False):
                items_by_kind.setdefault(generated.kind, []).append(copy.deepcopy(generated.payload))
        categories = {
            str(acc.uuid): CategoryTarget(odoo_account_id=1000 + n, label=f"{acc.code} {acc.name}")
            for n, acc in enumerate(BookkeepingAccount.objects.filter(company=company, assigned_to_category=True))
        }
        tax_codes = {str(t.uuid): {"code": t.code, "rate": t.rate, "type": t.type}
                     for t in TaxCode.objects.filter(company=company)}
        taxes = {
            str(t.uuid): TaxTarget(odoo_tax_id=200 + n, name=f"{t.code} in Odoo", rate=Decimal(t.rate).normalize(),
                                   price_include=False, reverse=t.type == "reverse")
            for n, t in enumerate(TaxCode.objects.filter(company=company))
        }
        tags = {str(tag.uuid): 300 + n for n, tag in enumerate(Tag.objects.filter(group__company=company))}
        transaction.set_rollback(True)
    context = BookingContext(
        company_currency="EUR",
        currency_ids=CURRENCY_IDS,
        **ODOO,
        kind_modes={t: "journal_entry" for t in ITEM_TYPES},
        post_states={t: "posted" for t in ITEM_TYPES},
        receipts={t: True for t in ITEM_TYPES},
        categories=categories,
        taxes=taxes,
        tags=tags,
        analytic_account_ids=frozenset(tags.values()),
    )
    return BookingFixtures(items_by_kind=items_by_kind, context=context, tax_codes=tax_codes)


@pytest.fixture
def redis_test_url(worker_id):
    """A Redis database of this test worker's own, empty before and after the test: 15 (set TEST_REDIS_URL
    for another) when the suite runs in one process, one lower per pytest-xdist worker (gw0 15, gw1 14, ...),
    so two workers' qclusters never share a queue."""
    import os

    import redis

    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix, _, number = base.rpartition("/")
    offset = int(worker_id[2:]) if worker_id.startswith("gw") else 0
    url = f"{prefix}/{int(number) - offset}"
    connection = redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()
