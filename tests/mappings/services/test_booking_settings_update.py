"""Booking settings: every account and journal is checked by type against the client's live Odoo company."""
import pytest
from django.core.exceptions import ValidationError

from mappings.choices import BookingMode
from mappings.models import BookingSettings
from mappings.selectors import odoo_choices_for
from mappings.booking_settings import booking_settings_update
from tests.odoo_lookups import (
    odoo_account_company,
    odoo_account_of_type,
    odoo_accounts_retire,
    odoo_journal_of_type,
    odoo_retired_word,
)


def bill_journal_label(client) -> str:
    # "Vendor Bills" until 18, "Purchases" in 19 (odoo-contract 16).
    from integrations.models import OdooConnection

    version = OdooConnection.objects.get(client=client).server_version
    return "BILL Purchases" if version.startswith("19") else "BILL Vendor Bills"


@pytest.mark.django_db
def test_valid_settings_are_saved_with_code_name_labels(connected_client, valid_data, superuser):
    settings = booking_settings_update(client=connected_client, data=valid_data, by=superuser)
    settings.refresh_from_db()
    assert settings.payables_account_label.startswith("130000 ")
    assert settings.card_journal_label == "MISC Miscellaneous Operations"
    assert settings.bill_journal_label == bill_journal_label(connected_client)
    assert settings.poll_interval_minutes == 5
    assert settings.history.first().history_user == superuser


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, wrong_type, needed",
    [
        ("wallet_account_id", "expense", "The Pleo Wallet account must be of type Current Assets or Bank and Cash"),
        ("out_of_pocket_account_id", "income",
         "The out-of-pocket account must be of type Current Liabilities or Payable"),
        ("reimbursement_contra_account_id", "expense",
         "The contra account for reimbursements outside Pleo must be of type Bank and Cash or Current Assets "
         "or Current Liabilities"),
        ("payables_account_id", "liability_current", "The payables account must be of type Payable"),
        ("topup_bank_account_id", "equity",
         "The bank account top-ups come from must be of type Bank and Cash or Current Assets"),
    ],
)
def test_account_of_the_wrong_type_is_refused_naming_the_type_needed(
    connected_client, odoo_admin, valid_data, field, wrong_type, needed
):
    data = {**valid_data, field: odoo_account_of_type(odoo_admin, wrong_type)}
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data=data)
    message = refused.value.message_dict[field][0]
    assert message.startswith(needed), message
    assert "is of type" in message
    assert list(refused.value.message_dict) == [field]
    assert not BookingSettings.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, wrong_journal, needed",
    [
        ("card_journal_id", "purchase", "The card-expense journal must be a Miscellaneous journal (type general)"),
        ("bill_journal_id", "general", "The vendor-bill journal must be a Purchase journal (type purchase)"),
    ],
)
def test_journal_of_the_wrong_type_is_refused_naming_the_type_needed(
    connected_client, odoo_admin, valid_data, field, wrong_journal, needed
):
    data = {**valid_data, field: odoo_journal_of_type(odoo_admin, wrong_journal)}
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data=data)
    assert refused.value.message_dict[field][0].startswith(needed)


@pytest.mark.django_db
def test_account_of_another_odoo_company_is_refused(connected_client, odoo_admin, valid_data):
    # Company 2's payable account: the admin sees it when acting in company 2.
    odoo_admin.company_id = 2
    other = odoo_account_of_type(odoo_admin, "liability_payable", company_id=2)
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data={**valid_data, "payables_account_id": other})
    assert "Odoo Client A BV has no account with id" in refused.value.message_dict["payables_account_id"][0]


@pytest.mark.django_db
def test_deprecated_account_is_refused(connected_client, odoo_admin, valid_data):
    odoo_accounts_retire(odoo_admin, [valid_data["wallet_account_id"]])
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data=valid_data)
    assert f"is {odoo_retired_word(odoo_admin)} in Odoo" in refused.value.message_dict["wallet_account_id"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, missing",
    [
        ({"card_journal_id": None}, "card_journal_id"),
        ({"bill_journal_id": None}, "bill_journal_id"),
        ({"payables_account_id": None}, "payables_account_id"),
        ({"topup_bank_account_id": None}, "topup_bank_account_id"),
        ({"wallet_account_id": None}, "wallet_account_id"),
        ({"out_of_pocket_booking_mode": BookingMode.JOURNAL_ENTRY, "out_of_pocket_account_id": None},
         "out_of_pocket_account_id"),
    ],
)
def test_what_the_chosen_booking_modes_need_is_required(connected_client, valid_data, change, missing):
    with pytest.raises(ValidationError) as refused:
        booking_settings_update(client=connected_client, data={**valid_data, **change})
    assert list(refused.value.message_dict) == [missing]


@pytest.mark.django_db
def test_changing_one_setting_keeps_the_others_and_records_history(connected_client, valid_data):
    booking_settings_update(client=connected_client, data=valid_data)
    settings = booking_settings_update(client=connected_client, data={"poll_interval_minutes": 15})
    assert settings.poll_interval_minutes == 15
    assert settings.bill_journal_label == bill_journal_label(connected_client)
    assert [h.poll_interval_minutes for h in settings.history.all()] == [15, 5]


@pytest.mark.django_db
def test_pick_lists_show_code_name_and_are_cached_until_refreshed(connected_client, odoo_admin):
    choices = odoo_choices_for(client=connected_client)
    labels = [o.label for o in choices.accounts]
    assert any(label.startswith("130000 ") for label in labels)
    assert {o.type for o in choices.journals} >= {"general", "purchase"}
    odoo_admin.create("account.account", {"code": "1099", "name": "Pleo Wallet", "account_type": "asset_current",
                                          **odoo_account_company(odoo_admin, 1)})
    assert "1099 Pleo Wallet" not in [o.label for o in odoo_choices_for(client=connected_client).accounts]
    assert "1099 Pleo Wallet" in [o.label for o in odoo_choices_for(client=connected_client, refresh=True).accounts]
