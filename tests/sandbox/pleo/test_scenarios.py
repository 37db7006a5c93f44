"""Generated export items: every type, amounts that add up, deterministic per seed."""
import uuid
from decimal import Decimal

import pytest

from sandbox.pleo.contract import schema_errors, spec
from sandbox.pleo.models import Company, ExportItem
from sandbox.pleo.scenarios import ITEM_KINDS, KIND_TYPES, export_items_generate, line_tax
from sandbox.pleo.services import sandbox_company_create

pytestmark = pytest.mark.django_db
ALL_TYPES = set(spec()["components"]["schemas"]["ExportItemTypeV3"]["enum"])


def _payloads(company, **kwargs) -> list[dict]:
    return [item.payload for item in export_items_generate(company=company, **kwargs)]


def _cents(money: dict) -> Decimal:
    return Decimal(money["value"]) / 100


def test_one_cycle_covers_every_export_item_type(company):
    payloads = _payloads(company, count=len(ITEM_KINDS))
    assert {p["type"] for p in payloads} == ALL_TYPES
    assert set(KIND_TYPES.values()) == ALL_TYPES


def test_every_generated_item_matches_the_strict_contract(company):
    for payload in _payloads(company, count=3 * len(ITEM_KINDS), seed=11):
        assert schema_errors(payload, "ExportItemV3") == [], payload["type"]


@pytest.mark.parametrize("currency", ["EUR", "DKK", "GBP"])
def test_lines_add_up_to_the_amount_in_both_currencies(db, currency):
    company, _ = sandbox_company_create(name=f"Sum {currency}", currency=currency)
    for payload in _payloads(company, count=2 * len(ITEM_KINDS), seed=4):
        for side in ("inSupplierCurrency", "inWalletCurrency"):
            total = sum(line["lineAmount"][side]["value"] for line in payload["accountingEntryLines"])
            assert total == payload["amount"][side]["value"], (payload["type"], side)
            assert payload["amount"]["inWalletCurrency"]["currency"] == currency


def test_vat_is_computed_per_line_half_up_to_the_cent(company):
    seen_types = set()
    for payload in _payloads(company, count=2 * len(ITEM_KINDS), seed=9):
        for line in payload["accountingEntryLines"]:
            tax = line["tax"]
            if tax is None:
                continue
            seen_types.add(tax["type"])
            for side in ("inSupplierCurrency", "inWalletCurrency"):
                paid = _cents(line["lineAmount"][side])
                expected_tax, expected_net = line_tax(paid, Decimal(str(tax["rate"])), tax["type"])
                assert _cents(tax["amount"][side]) == expected_tax
                assert _cents(line["netAmount"][side]) == expected_net
    assert seen_types == {"inclusive", "exclusive", "reverse"}


def test_inclusive_vat_of_a_known_amount():
    assert line_tax(Decimal("1250.00"), Decimal("0.25"), "inclusive") == (Decimal("250.00"), Decimal("1250.00"))
    assert line_tax(Decimal("72.00"), Decimal("0.25"), "reverse") == (Decimal("18.00"), Decimal("72.00"))
    assert line_tax(Decimal("10.00"), Decimal("0.21"), "exclusive") == (Decimal("1.74"), Decimal("8.26"))


def test_foreign_purchase_has_supplier_and_wallet_currencies(company):
    payload = _payloads(company, count=1, kinds=["card_purchase_foreign"])[0]
    assert payload["amount"]["inSupplierCurrency"]["currency"] in {"USD", "GBP"}
    assert payload["amount"]["inWalletCurrency"]["currency"] == "DKK"
    assert payload["amount"]["inSupplierCurrency"]["value"] != payload["amount"]["inWalletCurrency"]["value"]


def test_split_purchase_has_several_lines(company):
    payload = _payloads(company, count=1, kinds=["card_purchase_split"])[0]
    assert len(payload["accountingEntryLines"]) == 3


def test_reimbursement_settles_the_out_of_pocket_expense(company):
    expense, reimbursement = _payloads(company, count=2, kinds=["out_of_pocket", "direct_reimbursement"])
    assert reimbursement["subType"] == "reimbursement_to_employee"
    assert reimbursement["additionalInformation"]["reconciledEntries"] == [
        expense["additionalInformation"]["reconciliationId"]
    ]
    assert reimbursement["amount"] == expense["amount"]
    assert ExportItem.objects.get(uuid=expense["accountingEntryId"]).settled


def test_reimbursement_alone_brings_its_own_out_of_pocket_expense(company):
    payloads = _payloads(company, count=1, kinds=["external_reimbursement"])
    assert [p["type"] for p in payloads] == ["out_of_pocket", "external_reimbursement"]


def test_invoices_carry_invoice_information_and_a_vendor(company):
    for payload in _payloads(company, count=3, kinds=["card_invoice", "invoice", "invoice_payment"]):
        assert payload["additionalInformation"]["invoiceInformation"]["invoiceNumber"]
        assert payload["vendor"]["code"]
        assert payload["bookkeeping"]["method"] == "accounts_payable"


def test_receipts_are_stored_files_unless_switched_off(company):
    with_files = export_items_generate(company=company, count=1, kinds=["card_purchase"])
    assert with_files[0].files.count() == 1
    without = export_items_generate(company=company, count=1, kinds=["card_purchase"], with_receipts=False)
    assert without[0].files.count() == 0
    assert without[0].payload["files"] == []


def test_same_seed_gives_the_same_items(db):
    company_id = uuid.uuid4()
    company, _ = sandbox_company_create(name="Seeded", company_id=company_id)
    first = _payloads(company, count=len(ITEM_KINDS), seed=42)
    Company.objects.filter(pk=company.pk).delete()
    company, _ = sandbox_company_create(name="Seeded", company_id=company_id)
    assert _payloads(company, count=len(ITEM_KINDS), seed=42) == first


def test_different_seeds_give_different_amounts(db):
    company, _ = sandbox_company_create(name="Seeds")
    other, _ = sandbox_company_create(name="Seeds 2")
    first = [p["amount"] for p in _payloads(company, count=5, seed=1)]
    second = [p["amount"] for p in _payloads(other, count=5, seed=2)]
    assert first != second


def test_a_second_batch_gets_new_ids_and_reconciliation_ids(company):
    first = _payloads(company, count=5, seed=0)
    second = _payloads(company, count=5, seed=0)
    ids = {p["accountingEntryId"] for p in first + second}
    refs = {p["additionalInformation"]["reconciliationId"] for p in first + second}
    assert len(ids) == len(refs) == 10


def test_unknown_kind_is_refused(company):
    with pytest.raises(ValueError):
        export_items_generate(company=company, count=1, kinds=["lottery_win"])
