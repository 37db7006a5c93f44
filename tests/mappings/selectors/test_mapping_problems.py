"""Mapping problems: what would stop the next export, shown on the client page before it runs."""
import pytest

from mappings.choices import ProblemKind
from mappings.models import TaxMapping
from mappings.selectors import mapping_problems
from mappings.booking_settings import booking_settings_update
from mappings.category_mappings import category_mapping_bulk_update, category_mappings_refresh
from tests.odoo_lookups import odoo_account, odoo_accounts_retire, odoo_purchase_tax, odoo_retired_word


def kinds(problems):
    return [p.kind for p in problems]


@pytest.mark.django_db
def test_a_new_client_is_told_to_make_booking_settings(connected_client):
    problems = mapping_problems(client=connected_client)
    assert kinds(problems) == [ProblemKind.NO_BOOKING_SETTINGS]
    assert "has no booking settings yet" in problems[0].message


@pytest.mark.django_db
def test_every_unmapped_pleo_category_is_a_problem_naming_it(connected_client, valid_data, odoo_admin):
    booking_settings_update(client=connected_client, data=valid_data)
    category_mappings_refresh(client=connected_client)
    mapped = connected_client.category_mappings.get(pleo_account_code="6810")
    category_mapping_bulk_update(client=connected_client, rows=[
        {"id": mapped.pk, "odoo_account_id": odoo_account(odoo_admin, "400400")}])
    problems = mapping_problems(client=connected_client)
    unmapped = [p for p in problems if p.kind == ProblemKind.CATEGORY_UNMAPPED]
    assert len(unmapped) == connected_client.category_mappings.count() - 1
    assert any("“7130 Travel - local transport” has no Odoo account" in p.message for p in unmapped)
    assert not any("6810" in p.message for p in problems)
    assert kinds(problems) == [ProblemKind.CATEGORY_UNMAPPED] * len(unmapped)


@pytest.mark.django_db
def test_accounts_journals_and_taxes_archived_or_deprecated_in_odoo_are_problems(connected_client, valid_data,
                                                                                 odoo_admin):
    settings = booking_settings_update(client=connected_client, data=valid_data)
    category_mappings_refresh(client=connected_client)
    office = connected_client.category_mappings.get(pleo_account_code="6810")
    tax = odoo_purchase_tax(odoo_admin, 21.0)
    category_mapping_bulk_update(client=connected_client, rows=[
        {"id": office.pk, "odoo_account_id": odoo_account(odoo_admin, "400400"), "default_tax_id": tax}])
    assert ProblemKind.SETTING_UNUSABLE not in kinds(mapping_problems(client=connected_client))

    odoo_accounts_retire(odoo_admin, [settings.wallet_account_id, odoo_account(odoo_admin, "400400")])
    odoo_admin.write("account.journal", [settings.card_journal_id], {"active": False})
    odoo_admin.write("account.tax", [tax], {"active": False})
    TaxMapping.objects.create(client=connected_client, odoo_tax_id=tax, odoo_tax_name="21% old", archived=True,
                              pleo_tax_code_id="abc", skip_reason="Removed or archived in Odoo.")
    problems = mapping_problems(client=connected_client)
    messages = "\n".join(p.message for p in problems)
    assert (f"The Pleo Wallet account “{settings.wallet_account_label}” is {odoo_retired_word(odoo_admin)} "
            "in Odoo" in messages)
    assert f"The card-expense journal “{settings.card_journal_label}” is archived in Odoo" in messages
    assert ("“6810 Office supplies” is mapped to the Odoo account" in messages
            and f"which is {odoo_retired_word(odoo_admin)}" in messages)
    assert "of the Pleo category “6810 Office supplies” is archived in Odoo" in messages
    assert "The tax “21% old” is archived in Pleo (Removed or archived in Odoo.)" in messages
    assert kinds(problems).count(ProblemKind.SETTING_UNUSABLE) == 2
    assert kinds(problems).count(ProblemKind.CATEGORY_MAPPING_UNUSABLE) == 2
    assert kinds(problems).count(ProblemKind.TAX_MAPPING_ARCHIVED) == 1


@pytest.mark.django_db
def test_odoo_unreachable_is_reported_as_a_problem_not_an_error(connected_client, valid_data, fake_odoo):
    from sandbox.odoo.services import emulated_fault_add

    booking_settings_update(client=connected_client, data=valid_data)
    emulated_fault_add(database=fake_odoo.database, kind="html_page", count=10)
    problems = mapping_problems(client=connected_client)
    assert kinds(problems) == [ProblemKind.ODOO_UNREACHABLE]
    assert problems[0].message.startswith("Odoo could not be read")
