"""Bad input in one Pleo export item, at the booking builder: refused with a reason naming the field, or
booked with its text cleaned; never an exception other than BookingRefused, never a fact that does not fit
the export record's columns."""
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from exports.booking import booking_plan
from exports.items import BookingRefused, item_record_facts
from exports.plans import MovePlan
from integrations.pleo.contract import ITEM_FAILURE_REASON_TYPES
from tests.exports.odoo_bills import odoo_values

__all__: list[str] = []

pytestmark = pytest.mark.django_db  # the sandbox items are generated once per session (tests/exports/conftest.py)

CI_SETTINGS = dict(derandomize=True, deadline=None, database=None)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


def refused(item, context) -> BookingRefused:
    with pytest.raises(BookingRefused) as caught:
        booking_plan(item, context)
    assert caught.value.failure_reason_type in ITEM_FAILURE_REASON_TYPES
    return caught.value


@pytest.mark.parametrize("change, field", [
    (lambda item: item["files"].append({"url": "https://files.example/r.pdf", "type": "application/pdf",
                                        "size": "large"}), "files[0].size"),
    (lambda item: item["files"].append({"type": "application/pdf"}), "files[0]"),
    (lambda item: item["accountingEntryLines"][0].update(tags="travel"), "accountingEntryLines[0].tags"),
    (lambda item: item["accountingEntryLines"][0].update(tax=21), "accountingEntryLines[0].tax"),
    (lambda item: item.update(note=["a", "b"]), "note"),
    (lambda item: item["user"].update(name={"first": "Ann"}), "user.name"),
    (lambda item: item["additionalInformation"].update(attendees="Ann, Bob"), "additionalInformation.attendees"),
    (lambda item: item["accountingEntryLines"][0]["lineAmount"].pop("inWalletCurrency"),
     "accountingEntryLines[0].lineAmount.inWalletCurrency"),
    (lambda item: item["accountingEntryLines"][0]["tax"].update(type="sometimes"), "accountingEntryLines[0].tax.type"),
], ids=["file-size-text", "file-without-url", "tags-text", "tax-number", "note-list", "user-name-object",
        "attendees-text", "line-amount-missing", "tax-type-unknown"])
def test_a_field_of_the_wrong_type_is_refused_by_name(booking_fixtures, change, field):
    item = booking_fixtures.item("card_purchase")
    item["files"] = []
    change(item)

    error = refused(item, booking_fixtures.context)

    assert f"“{field}”" in str(error) and error.failure_reason_type == "validation_failure"


@pytest.mark.parametrize("field, value", [("invoiceDate", "1899-12-31"), ("dueDate", "2150-01-31")])
def test_an_invoice_date_far_off_is_refused_naming_it(booking_fixtures, field, value):
    item = booking_fixtures.item("invoice")
    item["additionalInformation"].setdefault("invoiceInformation", {})[field] = value
    context = booking_fixtures.with_context(kind_modes={**booking_fixtures.context.kind_modes,
                                                        "invoice": "vendor_bill"})

    error = refused(item, context)

    assert value in str(error) and f"invoiceInformation.{field}" in str(error)


@pytest.mark.parametrize("day", ["2000-01-01T00:00:00Z", "2099-12-31T00:00:00Z"])
def test_the_first_and_last_bookable_days_are_booked(booking_fixtures, day):
    item = booking_fixtures.item("card_purchase")
    item["date"] = day

    assert odoo_values(booking_plan(item, booking_fixtures.context))["date"] == day[:10]


def test_long_text_with_control_characters_reaches_a_vendor_bill_cleaned_and_cut(booking_fixtures):
    item = booking_fixtures.item("invoice")
    item["vendor"] = {"name": "ACME\x00 Supplies\x1b[0m " + "y" * 10_000, "taxRegistrationNumber": "NL\r\n123B01"}
    item["additionalInformation"].setdefault("invoiceInformation", {})["invoiceNumber"] = "INV\t42" + "9" * 500
    context = booking_fixtures.with_context(kind_modes={**booking_fixtures.context.kind_modes,
                                                        "invoice": "vendor_bill"})

    plan = booking_plan(item, context)

    assert isinstance(plan, MovePlan)
    assert plan.partner.name.startswith("ACME Supplies yyy") and len(plan.partner.name) <= 128
    assert plan.partner.vat == "NL 123B01"
    reference = odoo_values(plan)["payment_reference"]
    assert reference.startswith("INV 42999") and len(reference) <= 128
    for _, _, line in odoo_values(plan)["invoice_line_ids"]:
        assert len(line["name"]) <= 256 and "\x00" not in line["name"] and "\x1b" not in line["name"]


def test_a_shape_no_check_foresaw_fails_the_item_with_a_reason_not_the_job(booking_fixtures):
    item = booking_fixtures.item("card_purchase")
    tax = item["accountingEntryLines"][0]["tax"]
    tax["id"], tax["rate"] = "unmapped-code", "twenty-one"  # read only to word the refusal

    error = refused(item, booking_fixtures.context)

    assert error.failure_reason_type == "unexpected_failure" and "cannot read" in str(error)


@settings(max_examples=300, **CI_SETTINGS)
@given(data=st.data())
def test_any_json_in_any_field_is_booked_or_refused_never_a_crash(booking_fixtures, data):
    item = booking_fixtures.item(data.draw(st.sampled_from(["card_purchase", "card_purchase_split",
                                                            "card_purchase_foreign", "out_of_pocket", "refund"])))
    key = data.draw(st.sampled_from(sorted(item)))
    if data.draw(st.booleans()) and isinstance(item[key], dict) and item[key]:
        inner = data.draw(st.sampled_from(sorted(item[key])))
        item[key][inner] = data.draw(JSON)
    else:
        item[key] = data.draw(JSON)

    try:
        booking_plan(item, booking_fixtures.context)
    except BookingRefused as exc:
        assert str(exc).strip() and exc.failure_reason_type in ITEM_FAILURE_REASON_TYPES

    facts = item_record_facts(item)
    assert len(facts["kind"]) <= 40 and len(facts["supplier"]) <= 300 and len(facts["spender"]) <= 300
    assert len(facts["currency"]) in (0, 3)
    assert not any("\x00" in facts[name] for name in ("kind", "supplier", "spender", "description"))
    for name in ("amount", "vat_amount"):
        assert facts[name] is None or (isinstance(facts[name], Decimal) and abs(facts[name]) < 10**15)


@settings(max_examples=100, **CI_SETTINGS)
@given(item=JSON)
def test_an_item_that_is_not_an_object_is_refused_and_still_gets_its_record_facts(booking_fixtures, item):
    if not isinstance(item, dict):
        assert "not booked" in str(refused(item, booking_fixtures.context))
    facts = item_record_facts(item)
    assert isinstance(facts["pleo_payload"], dict)
