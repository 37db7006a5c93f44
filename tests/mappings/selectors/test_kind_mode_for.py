"""Booking per expense type: the stored choice wins, otherwise the defaults the export relies on."""
import pytest
from django.core.exceptions import ValidationError

from mappings.choices import EXPORT_ITEM_TYPES, KindMode, LockDatePolicy
from mappings.models import BookingSettings
from mappings.selectors import kind_mode_for
from mappings.booking_settings import booking_settings_update


@pytest.mark.parametrize(
    "item_type, expected",
    [
        ("card_purchase", "vendor_bill"), ("card_invoice", "vendor_bill"),
        ("out_of_pocket", "journal_entry"), ("mileage", "journal_entry"), ("per_diem", "journal_entry"),
        ("wallet_topup", "disabled"), ("wallet_unload", "disabled"),
        ("refund", "journal_entry"), ("fee", "journal_entry"), ("invoice", "follow_pleo"),
        ("invoice_payment", "journal_entry"),
    ],
)
def test_default_follows_the_card_out_of_pocket_and_top_up_settings_and_pleo_for_invoices(item_type, expected):
    settings = BookingSettings(card_booking_mode="vendor_bill", out_of_pocket_booking_mode="journal_entry",
                               wallet_topups="ignore")
    assert kind_mode_for(settings=settings, item_type=item_type) == expected


def test_booked_top_ups_make_wallet_top_ups_and_unloads_journal_entries():
    settings = BookingSettings(wallet_topups="book")
    assert kind_mode_for(settings=settings, item_type="wallet_topup") == KindMode.JOURNAL_ENTRY
    assert kind_mode_for(settings=settings, item_type="wallet_unload") == KindMode.JOURNAL_ENTRY


def test_stored_choice_wins_over_the_default():
    settings = BookingSettings(card_booking_mode="journal_entry", kind_modes={"card_invoice": "follow_pleo",
                                                                              "fee": "disabled"})
    assert kind_mode_for(settings=settings, item_type="card_invoice") == KindMode.FOLLOW_PLEO
    assert kind_mode_for(settings=settings, item_type="fee") == KindMode.DISABLED
    assert kind_mode_for(settings=settings, item_type="card_purchase") == KindMode.JOURNAL_ENTRY


def test_every_item_type_has_a_mode():
    settings = BookingSettings()
    assert all(kind_mode_for(settings=settings, item_type=t) in KindMode.values for t in EXPORT_ITEM_TYPES)


@pytest.mark.django_db
def test_kind_modes_and_lock_date_policy_are_saved_with_history(connected_client, valid_data, superuser):
    modes = {"invoice": "vendor_bill", "refund": "disabled", "card_invoice": "follow_pleo", "fee": ""}
    settings = booking_settings_update(client=connected_client, by=superuser,
                                       data={**valid_data, "kind_modes": modes, "lock_date_policy": "leave_draft"})
    settings.refresh_from_db()
    assert settings.kind_modes == {"invoice": "vendor_bill", "refund": "disabled", "card_invoice": "follow_pleo"}
    assert settings.lock_date_policy == LockDatePolicy.LEAVE_DRAFT
    assert settings.history.first().kind_modes == settings.kind_modes


@pytest.mark.django_db
def test_lock_date_policy_defaults_to_the_first_open_day(connected_client, valid_data):
    assert booking_settings_update(client=connected_client, data=valid_data).lock_date_policy == "first_open_day"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind_modes, message",
    [
        ({"refund": "vendor_bill"}, "refund cannot be booked as a vendor bill"),
        ({"wallet_topup": "vendor_bill"}, "wallet_topup cannot be booked as a vendor bill"),
        ({"card_refund": "journal_entry"}, "“card_refund” is not a Pleo expense type"),
        ({"fee": "posted"}, "fee: “posted” is not a booking mode"),
        (["invoice"], "must map each Pleo expense type"),
    ],
)
def test_unknown_types_modes_and_vendor_bills_without_a_supplier_are_refused(
    connected_client, valid_data, kind_modes, message
):
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data={**valid_data, "kind_modes": kind_modes})
    assert message in refused.value.message_dict["kind_modes"][0]
    assert not BookingSettings.objects.exists()


@pytest.mark.django_db
def test_unknown_lock_date_policy_is_refused(connected_client, valid_data):
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data={**valid_data, "lock_date_policy": "backdate"})
    assert "is not a lock-date policy" in refused.value.message_dict["lock_date_policy"][0]


@pytest.mark.django_db
def test_an_invoice_booked_as_vendor_bill_needs_the_vendor_bill_journal(connected_client, valid_data):
    data = {**valid_data, "out_of_pocket_booking_mode": "journal_entry", "bill_journal_id": None,
            "kind_modes": {"invoice": "vendor_bill"}}
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data=data)
    assert "bill_journal_id" in refused.value.message_dict
