"""Property test of the booking code: generated Pleo export items (kinds, amounts in the currency's cents,
VAT from the mapped tax codes, several lines, foreign purchases) go through `booking_plan`, and for a sample
through the whole export into the emulated Odoo, which adds the tax lines itself.

Every accepted item must give a balanced Odoo record whose total and VAT equal Pleo's to the cent; every
refused item must carry a reason. Deterministic for CI: derandomized, bounded, no deadline.
"""
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from exports.booking import booking_plan
from exports.item_types import BILLABLE_TYPES
from exports.items import BookingRefused
from exports.plans import MovePlan, SkipPlan
from exports.models import ExportRecord
from exports.corrections import vat_by_odoo_tax
from exports.services import export_queue_poll
from integrations.odoo.journal_items import bill_corrections, line_corrections
from integrations.pleo.contract import ITEM_FAILURE_REASON_TYPES, money_to_decimal
from mappings.models import CategoryMapping, TaxMapping
from sandbox.demo import export_mappings_seed
from sandbox.odoo.models import EmulatedRecord
from sandbox.pleo.models import BookkeepingAccount, ExportItem, TaxCode
from sandbox.pleo.scenarios import export_items_generate, line_tax, money_cents
from sandbox.pleo.services import export_job_create
from tests.exports.odoo_bills import odoo_bill_corrected, odoo_bill_lines, odoo_values

__all__: list[str] = []

CENT = Decimal("0.01")
# Types whose lines carry a category and VAT, and how Pleo's examples send them.
CATEGORY_TYPES = ["card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice", "refund",
                  "chargeback", "cashback", "fee", "atm_withdrawal", "personal_spend"]
# Purchase currency -> wallet (EUR) per unit, as a card scheme's rate with six decimals.
FX = {"EUR": Decimal(1), "USD": Decimal("0.921350"), "GBP": Decimal("1.168420")}
# Odoo's own rates for the same currencies: never quite the card scheme's.
ODOO_RATES = {"EUR": Decimal(1), "USD": Decimal("0.9259"), "GBP": Decimal("1.1713")}
CI_SETTINGS = dict(derandomize=True, deadline=None, database=None, print_blob=True)


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _pair(supplier: Decimal, currency: str, wallet: Decimal) -> dict:
    return {"inSupplierCurrency": {"currency": currency, "value": money_cents(supplier)},
            "inWalletCurrency": {"currency": "EUR", "value": money_cents(wallet)}}


@st.composite
def pleo_items(draw, template: dict, palette: list, *, types=CATEGORY_TYPES, currencies=tuple(FX)):
    """An export item as Pleo builds one: lines in the purchase currency, converted to the EUR wallet line
    by line (the last line takes the rounding rest), VAT per line from the tax code's rate and type."""
    item = {**template, "type": draw(st.sampled_from(types)), "subType": None, "files": []}
    currency = draw(st.sampled_from(currencies))
    parts = draw(st.lists(st.tuples(st.integers(min_value=1, max_value=2_000_000), st.sampled_from(palette)),
                          min_size=1, max_size=4))
    amounts = [Decimal(cents) / 100 for cents, _ in parts]
    wallet_total = _q(sum(amounts) * FX[currency])
    wallet_amounts = [_q(a * FX[currency]) for a in amounts[:-1]]
    wallet_amounts.append(wallet_total - sum(wallet_amounts, Decimal(0)))
    lines = []
    for (_, (account, tax)), amount, wallet_amount in zip(parts, amounts, wallet_amounts, strict=True):
        line = {"account": account, "lineAmount": _pair(amount, currency, wallet_amount),
                "netAmount": _pair(amount, currency, wallet_amount), "tax": None, "tags": None}
        if tax is not None:
            tax_s, net_s = line_tax(amount, tax["rate"], tax["type"])
            tax_w, net_w = line_tax(wallet_amount, tax["rate"], tax["type"])
            line["netAmount"] = _pair(net_s, currency, net_w)
            line["tax"] = {"amount": _pair(tax_s, currency, tax_w), "code": tax["code"], "id": tax["id"],
                           "rate": float(tax["rate"]), "type": tax["type"]}
        lines.append(line)
    item["accountingEntryLines"] = lines
    item["amount"] = _pair(sum(amounts), currency, wallet_total)
    return item


def pleo_vat_by_tax(item: dict) -> dict[str, Decimal]:
    vat: dict[str, Decimal] = {}
    for line in item["accountingEntryLines"]:
        if line["tax"]:
            vat[line["tax"]["id"]] = vat.get(line["tax"]["id"], Decimal(0)) + money_to_decimal(
                line["tax"]["amount"]["inWalletCurrency"])
    return vat


def odoo_entry_lines(plan: MovePlan, taxes_by_odoo_id: dict) -> list[dict]:
    """The lines Odoo stores for the create: ours, plus a tax line per taxed line (rate x line, half-up,
    on the line's side; reverse charge adds +VAT and -VAT), in the shape the pipeline reads back."""
    lines, next_id = [], 1
    for _, _, values in odoo_values(plan)["line_ids"]:
        lines.append({"id": next_id, "account_id": [values["account_id"], ""], "name": values["name"],
                      "debit": values["debit"], "credit": values["credit"], "tax_line_id": False})
        next_id += 1
        for tax_id in (values["tax_ids"][0][2] if values.get("tax_ids") else []):
            tax = taxes_by_odoo_id[tax_id]
            balance = values["debit"] - values["credit"]
            vat = _q(abs(balance) * tax.rate) * (1 if balance > 0 else -1)
            for amount in ((vat, -vat) if tax.reverse else (vat,)):
                lines.append({"id": next_id, "account_id": [9999, ""], "name": tax.name, "tax_line_id": [tax_id, ""],
                              "debit": max(amount, Decimal(0)), "credit": max(-amount, Decimal(0))})
                next_id += 1
    return lines


def corrected(lines: list[dict], commands: list) -> list[dict]:
    by_id = {line["id"]: dict(line) for line in lines}
    for command in commands:
        if command[0] == 2:
            del by_id[command[1]]
        else:
            by_id[command[1]].update(command[2])
    return list(by_id.values())


def balance_of(lines) -> Decimal:
    return sum((Decimal(str(line["debit"])) - Decimal(str(line["credit"])) for line in lines), Decimal(0))


def assert_no_floats(value):
    assert not isinstance(value, float), "money must stay Decimal inside the booking code"
    if isinstance(value, dict):
        for key, inner in value.items():
            if key != "analytic_distribution":  # percentages, not money
                assert_no_floats(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            assert_no_floats(inner)


def assert_bill_at_pleos_figures(item: dict, plan: MovePlan, context, taxes_by_odoo_id: dict) -> None:
    """Odoo's bill for the plan (at Odoo's own rate when foreign), after the pipeline's correcting write: every
    line's company amount, the VAT per tax and the total are Pleo's, and the payables line carries Pleo's
    total in the supplier's currency too."""
    currency = item["amount"]["inSupplierCurrency"]["currency"]
    foreign = currency != "EUR"
    lines = odoo_bill_lines(plan, taxes_by_odoo_id, ODOO_RATES[currency])
    commands = bill_corrections(plan, lines, vat_by_odoo_tax(item, context),
                                vat_by_odoo_tax(item, context, supplier=True))
    final = odoo_bill_corrected(lines, commands, foreign=foreign)
    sign = 1 if plan.kind == "in_invoice" else -1
    [payables] = [line for line in final if line["display_type"] == "payment_term"]
    assert -sign * balance_of([payables]) == money_to_decimal(item["amount"]["inWalletCurrency"])
    assert -sign * payables["amount_currency"] == money_to_decimal(item["amount"]["inSupplierCurrency"])
    for pleo_tax_id, vat in pleo_vat_by_tax(item).items():
        tax_lines = [line for line in final if line["tax_line_id"]
                     and line["tax_line_id"][0] == context.taxes[pleo_tax_id].odoo_tax_id]
        for positive in (True, False):
            side = [line for line in tax_lines if balance_of([line]) and (balance_of([line]) > 0) == positive]
            assert not side or abs(balance_of(side)) == vat, (pleo_tax_id, vat, tax_lines)
    if foreign:
        products = [line for line in final if line["display_type"] == "product"]
        pleo_nets = []
        for line in item["accountingEntryLines"]:
            paid = money_to_decimal(line["lineAmount"]["inWalletCurrency"])
            tax = line["tax"]
            vat = money_to_decimal(tax["amount"]["inWalletCurrency"]) if tax and tax["type"] != "reverse" else 0
            pleo_nets.append(abs(paid) - abs(vat))
        assert [sign * balance_of([line]) for line in products] == pleo_nets


# ----------------------------------------------------------------------------------- booking_plan alone


def _palette(fixtures) -> list:
    categories = sorted(fixtures.context.categories)
    taxes = [None] + [{"id": tax_id, **fixtures.tax_codes[tax_id]} for tax_id in sorted(fixtures.context.taxes)]
    accounts = {}
    for items in fixtures.items_by_kind.values():
        for item in items:
            for line in item["accountingEntryLines"]:
                if line.get("account") and line["account"]["id"] in categories:
                    accounts[line["account"]["id"]] = line["account"]
    return [(accounts[a], tax) for a in sorted(accounts) for tax in taxes]


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["journal_entry", "vendor_bill"])
def test_every_accepted_item_books_pleos_total_and_vat_balanced(booking_fixtures, mode):
    fixtures = booking_fixtures
    context = fixtures.with_context(kind_modes={t: mode for t in fixtures.context.kind_modes})
    taxes_by_odoo_id = {t.odoo_tax_id: t for t in context.taxes.values()}
    types = CATEGORY_TYPES if mode == "journal_entry" else sorted(BILLABLE_TYPES)
    template = fixtures.item("card_purchase")
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], **CI_SETTINGS)
    @given(item=pleo_items(template, _palette(fixtures), types=types))
    def check(item):
        try:
            plan = booking_plan(item, context)
        except BookingRefused as exc:
            seen["refused"] += 1
            assert str(exc).strip() and exc.failure_reason_type in ITEM_FAILURE_REASON_TYPES
            return
        assert not isinstance(plan, SkipPlan)
        seen["accepted"] += 1
        pleo_total = money_to_decimal(item["amount"]["inWalletCurrency"])
        pleo_vat = pleo_vat_by_tax(item)
        assert plan.expected_total == pleo_total
        assert plan.expected_vat == sum(pleo_vat.values(), Decimal(0))
        assert_no_floats(odoo_values(plan))
        if plan.kind != "entry":
            assert_bill_at_pleos_figures(item, plan, context, taxes_by_odoo_id)
            return
        lines = odoo_entry_lines(plan, taxes_by_odoo_id)
        # Balanced at create, so Odoo adds no suspense "Automatic Balancing Line" of its own.
        assert balance_of(lines) == 0
        final = corrected(lines, line_corrections(plan, lines, vat_by_odoo_tax(item, context)))
        assert balance_of(final) == 0
        counter = [line for line in final if line["account_id"][0] == plan.counter_account_id]
        assert len(counter) == 1 and abs(balance_of(counter)) == pleo_total
        for pleo_tax_id, vat in pleo_vat.items():
            tax = context.taxes[pleo_tax_id]
            tax_lines = [line for line in final if line["tax_line_id"] and line["tax_line_id"][0] == tax.odoo_tax_id]
            # One tax line per side (reverse charge: +VAT and -VAT); each carries Pleo's VAT for the code.
            for positive in (True, False):
                side = [line for line in tax_lines if balance_of([line]) and (balance_of([line]) > 0) == positive]
                assert not side or abs(balance_of(side)) == vat, (pleo_tax_id, vat, tax_lines)
            assert tax_lines

    check()
    assert seen["accepted"] > 0


@pytest.mark.django_db
def test_absurd_amounts_are_refused_with_a_reason_never_a_crash(booking_fixtures):
    fixtures = booking_fixtures
    template = fixtures.item("card_purchase")
    values = st.one_of(st.integers(min_value=-10**20, max_value=10**20),
                       st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, places=3),
                       st.none(), st.text(max_size=5), st.booleans())

    @settings(max_examples=200, **CI_SETTINGS)
    @given(value=values, line_value=values)
    def check(value, line_value):
        item = {**template, "amount": {**template["amount"], "inWalletCurrency": {"currency": "EUR", "value": value}}}
        line = {**template["accountingEntryLines"][0]}
        line["lineAmount"] = {**line["lineAmount"], "inWalletCurrency": {"currency": "EUR", "value": line_value}}
        item["accountingEntryLines"] = [line]
        try:
            plan = booking_plan(item, fixtures.context)
        except BookingRefused as exc:
            assert str(exc).strip() and "Traceback" not in str(exc)
            return
        total = money_to_decimal(item["amount"]["inWalletCurrency"])
        assert plan.expected_total == abs(total) and 0 < abs(total) < Decimal(10**13)
        assert_no_floats(odoo_values(plan))

    check()


# ------------------------------------------------------------------------- a sample through the emulated Odoo


@pytest.mark.django_db
def test_a_sample_books_in_the_emulated_odoo_at_pleos_total_and_vat(connected_client, fake_odoo, fake_pleo):
    export_mappings_seed(client=connected_client, database=fake_odoo.database, company=fake_pleo.company)
    template = export_items_generate(company=fake_pleo.company, count=1, kinds=["card_purchase"], seed=3,
                                     with_receipts=False)[0].payload
    mapped_taxes = set(TaxMapping.objects.filter(client=connected_client, odoo_tax_id__gt=0)
                       .values_list("pleo_tax_code_id", flat=True))
    mapped_accounts = set(CategoryMapping.objects.filter(client=connected_client, odoo_account_id__isnull=False)
                          .values_list("pleo_account_id", flat=True))
    taxes = [None] + [{"id": str(t.uuid), "code": t.code, "rate": t.rate, "type": t.type}
                      for t in TaxCode.objects.filter(company=fake_pleo.company) if str(t.uuid) in mapped_taxes]
    accounts = [{"id": str(a.uuid), "name": a.name, "code": a.code, "identifier": a.external_id}
                for a in BookkeepingAccount.objects.filter(company=fake_pleo.company) if str(a.uuid) in mapped_accounts]
    palette = [(account, tax) for account in accounts[:3] for tax in taxes]
    counter = {"n": 0, "exported": 0}

    @settings(max_examples=6, suppress_health_check=list(HealthCheck), **CI_SETTINGS)
    @given(item=pleo_items(template, palette, types=["card_purchase", "out_of_pocket", "refund"],
                           currencies=("EUR", "USD")))
    def check(item):
        counter["n"] += 1
        entry_id = str(uuid.uuid5(fake_pleo.company.uuid, f"property:{counter['n']}"))
        item = {**item, "accountingEntryId": entry_id,
                "additionalInformation": {**item["additionalInformation"], "reconciliationId": f"P{counter['n']}"}}
        stored = ExportItem.objects.create(uuid=uuid.UUID(entry_id), company=fake_pleo.company, type=item["type"],
                                           kind=item["type"], reconciliation_id=f"P{counter['n']}", payload=item)
        export_job_create(company=fake_pleo.company, items=[stored])

        export_queue_poll(client_id=connected_client.pk)

        record = ExportRecord.objects.get(client=connected_client, pleo_accounting_entry_id=entry_id)
        if record.status != "exported":
            assert record.status == "failed" and record.last_error.strip()
            return
        counter["exported"] += 1
        lines = [r.values for r in EmulatedRecord.objects.filter(database=fake_odoo.database,
                                                               model="account.move.line",
                                                               values__move_id=record.odoo_record_id)]
        amounts = [(Decimal(str(l["debit"])) - Decimal(str(l["credit"])), l) for l in lines]
        assert sum(a for a, _ in amounts) == 0
        pleo_total = money_to_decimal(item["amount"]["inWalletCurrency"])
        counter_account = record.odoo_values["line_ids"][-1][2]["account_id"]
        assert abs(sum(a for a, l in amounts if _id(l["account_id"]) == counter_account)) == pleo_total
        taxed = sum((abs(a) for a, l in amounts if l.get("tax_line_id")), Decimal(0))
        reverse = sum((money_to_decimal(line["tax"]["amount"]["inWalletCurrency"]) for line in
                       item["accountingEntryLines"] if line["tax"] and line["tax"]["type"] == "reverse"), Decimal(0))
        other = sum((money_to_decimal(line["tax"]["amount"]["inWalletCurrency"]) for line in
                     item["accountingEntryLines"] if line["tax"] and line["tax"]["type"] != "reverse"), Decimal(0))
        assert taxed == other + 2 * reverse  # reverse charge: +VAT and -VAT
        assert record.amount == pleo_total and record.vat_amount == other + reverse

    check()
    assert counter["exported"] > 0


def _id(many2one):
    return many2one[0] if isinstance(many2one, (list, tuple)) else many2one
