"""Category mappings: Pleo categories read into rows, mapped in bulk against the live Odoo, copied as a firm
template."""
import pytest
from django.core.exceptions import ValidationError

from integrations.errors import PortalError
from mappings.models import CategoryMapping
from mappings.category_mappings import category_mapping_bulk_update, category_mappings_copy, category_mappings_refresh
from sandbox.pleo.models import BookkeepingAccount
from sandbox.pleo.services import ACCOUNTS
from tests.odoo_lookups import odoo_account, odoo_accounts_retire, odoo_purchase_tax, odoo_retired_word

# Both databases: rows updated under SELECT ... FOR UPDATE.
pytestmark = pytest.mark.both_databases

# Two NL-chart expense accounts present in both emulated Odoo companies.
OFFICE_CODE, TRAVEL_CODE = "400400", "400500"


def mapping(client, pleo_code):
    return CategoryMapping.objects.get(client=client, pleo_account_code=pleo_code)


@pytest.mark.django_db
def test_refresh_creates_one_unmapped_row_per_pleo_category(connected_client, fake_pleo, superuser):
    assert category_mappings_refresh(client=connected_client, by=superuser) == len(ACCOUNTS)
    office = mapping(connected_client, "6810")
    account = BookkeepingAccount.objects.get(company=fake_pleo.company, code="6810")
    assert office.pleo_account_id == str(account.uuid)
    assert (office.pleo_account_name, office.pleo_external_id) == ("Office supplies", "142")
    assert office.odoo_account_id is None and office.last_seen_at is not None
    assert office.history.first().history_user == superuser


@pytest.mark.django_db
def test_refresh_again_changes_nothing_and_writes_no_history(connected_client):
    category_mappings_refresh(client=connected_client)
    history = CategoryMapping.history.count()
    assert category_mappings_refresh(client=connected_client) == 0
    assert CategoryMapping.history.count() == history


@pytest.mark.django_db
def test_rename_archive_and_removal_in_pleo_update_the_rows_but_never_drop_a_mapping(connected_client, fake_pleo,
                                                                                     odoo_admin):
    category_mappings_refresh(client=connected_client)
    category_mapping_bulk_update(client=connected_client, rows=[
        {"id": mapping(connected_client, "6810").pk, "odoo_account_id": odoo_account(odoo_admin, OFFICE_CODE)},
    ])
    accounts = BookkeepingAccount.objects.filter(company=fake_pleo.company)
    accounts.filter(code="6810").update(name="Office supplies and stationery", code="6811")
    accounts.filter(code="7200").update(archived=True)
    accounts.filter(code="6910").delete()
    assert category_mappings_refresh(client=connected_client) == 3
    office = mapping(connected_client, "6811")
    assert office.pleo_account_name == "Office supplies and stationery"
    assert office.odoo_account_id == odoo_account(odoo_admin, OFFICE_CODE)  # the mapping survives the rename
    assert mapping(connected_client, "7200").archived_in_pleo
    assert mapping(connected_client, "6910").archived_in_pleo
    assert CategoryMapping.objects.filter(client=connected_client).count() == len(ACCOUNTS)


@pytest.mark.django_db
def test_refresh_with_pleo_unreachable_says_so_and_keeps_the_rows(connected_client, fake_pleo):
    from sandbox.pleo.services import fault_add

    category_mappings_refresh(client=connected_client)
    fault_add(company=fake_pleo.company, method="POST", path_prefix="/v1/chart-of-accounts", kind="http_500", count=10)
    with pytest.raises(PortalError):
        category_mappings_refresh(client=connected_client)
    assert CategoryMapping.objects.filter(client=connected_client, archived_in_pleo=False).count() == len(ACCOUNTS)


@pytest.mark.django_db
def test_bulk_update_stores_account_and_tax_as_code_name_with_who_did_it(connected_client, odoo_admin, superuser):
    category_mappings_refresh(client=connected_client)
    tax = odoo_purchase_tax(odoo_admin, 21.0)
    rows = [
        {"id": mapping(connected_client, "6810").pk, "odoo_account_id": odoo_account(odoo_admin, OFFICE_CODE),
         "default_tax_id": tax},
        {"pleo_account_id": mapping(connected_client, "7130").pleo_account_id,
         "odoo_account_id": odoo_account(odoo_admin, TRAVEL_CODE), "default_tax_id": None},
    ]
    assert category_mapping_bulk_update(client=connected_client, rows=rows, by=superuser) == 2
    office = mapping(connected_client, "6810")
    assert office.odoo_account_label.startswith(f"{OFFICE_CODE} ")
    tax_name = odoo_admin.read("account.tax", [tax], ["name"])[0]["name"]
    assert office.default_tax_label.startswith(tax_name)
    assert office.history.first().history_user == superuser
    assert office.history.first().prev_record.odoo_account_id is None  # the audit trail keeps the old value
    assert category_mapping_bulk_update(client=connected_client, rows=rows, by=superuser) == 0


@pytest.mark.django_db
def test_bulk_update_refuses_every_row_when_one_is_wrong_naming_the_category(connected_client, odoo_admin,
                                                                             odoo_admin_b):
    category_mappings_refresh(client=connected_client)
    deprecated = odoo_account(odoo_admin, TRAVEL_CODE)
    odoo_accounts_retire(odoo_admin, [deprecated])
    other_company = odoo_account(odoo_admin_b, OFFICE_CODE, company_id=2)
    sales_tax = {"id": odoo_admin.create("account.tax", {"name": "21% sales", "amount": 21.0, "amount_type": "percent",
                                                         "type_tax_use": "sale", "company_id": 1})}
    rows = [
        {"id": mapping(connected_client, "6810").pk, "odoo_account_id": odoo_account(odoo_admin, OFFICE_CODE)},
        {"id": mapping(connected_client, "7130").pk, "odoo_account_id": deprecated},
        {"id": mapping(connected_client, "7140").pk, "odoo_account_id": other_company},
        {"id": mapping(connected_client, "7200").pk, "odoo_account_id": None, "default_tax_id": sales_tax["id"]},
    ]
    with pytest.raises(ValidationError) as refused:
        category_mapping_bulk_update(client=connected_client, rows=rows)
    messages = refused.value.messages
    assert len(messages) == 3
    assert (messages[0].startswith("7130 Travel - local transport:")
            and f"is {odoo_retired_word(odoo_admin)}" in messages[0])
    assert messages[1].startswith("7140 Travel - accommodation:") and "has no account with id" in messages[1]
    assert messages[2].startswith("7200 Meals and entertainment:") and "must be a purchase tax" in messages[2]
    assert not CategoryMapping.objects.filter(client=connected_client).exclude(odoo_account_id=None).exists()


@pytest.mark.django_db
def test_bulk_update_refuses_an_archived_tax_and_another_clients_category(connected_client, second_client, odoo_admin):
    category_mappings_refresh(client=connected_client)
    category_mappings_refresh(client=second_client)
    tax = odoo_purchase_tax(odoo_admin, 9.0)
    odoo_admin.write("account.tax", [tax], {"active": False})
    with pytest.raises(ValidationError) as refused:
        category_mapping_bulk_update(client=connected_client, rows=[
            {"id": mapping(connected_client, "6810").pk, "odoo_account_id": None, "default_tax_id": tax}])
    assert "has no active tax with id" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        category_mapping_bulk_update(client=connected_client, rows=[
            {"id": mapping(second_client, "6810").pk, "odoo_account_id": None}])
    assert "has no Pleo category" in refused.value.messages[0]


@pytest.mark.django_db
def test_copy_maps_the_target_by_pleo_number_and_odoo_account_code(
    connected_client, second_client, odoo_admin, odoo_admin_b, superuser
):
    category_mappings_refresh(client=connected_client)
    tax = odoo_purchase_tax(odoo_admin, 21.0)
    category_mapping_bulk_update(client=connected_client, rows=[
        {"id": mapping(connected_client, "6810").pk, "odoo_account_id": odoo_account(odoo_admin, OFFICE_CODE),
         "default_tax_id": tax},
        {"id": mapping(connected_client, "7130").pk, "odoo_account_id": odoo_account(odoo_admin, TRAVEL_CODE)},
        {"id": mapping(connected_client, "7140").pk, "odoo_account_id": odoo_account(odoo_admin, TRAVEL_CODE)},
    ])
    # Client B's Pleo numbers its hotel category differently, and its Odoo has retired the travel account.
    BookkeepingAccount.objects.filter(company=second_client.pleo_company, code="7140").update(code="7145")
    odoo_accounts_retire(odoo_admin_b, [odoo_account(odoo_admin_b, TRAVEL_CODE, company_id=2)])

    result = category_mappings_copy(source=connected_client, target=second_client, by=superuser)

    office = mapping(second_client, "6810")
    assert office.odoo_account_id == odoo_account(odoo_admin_b, OFFICE_CODE, company_id=2)
    assert office.odoo_account_id != mapping(connected_client, "6810").odoo_account_id  # the other company's id
    assert office.default_tax_id == odoo_purchase_tax(odoo_admin_b, 21.0, company_id=2)
    assert office.history.first().history_user == superuser
    assert result.copied == 1
    assert result.matched == [f"6810 Office supplies → {OFFICE_CODE}"]
    assert len(result.unmatched) == 2
    assert any("7130" in line and f"no active account with code {TRAVEL_CODE}" in line for line in result.unmatched)
    assert any("7140" in line and "no Pleo category with account number “7140”" in line for line in result.unmatched)
    assert mapping(second_client, "7130").odoo_account_id is None


@pytest.mark.django_db
def test_copy_onto_the_same_client_is_refused(connected_client):
    with pytest.raises(ValidationError):
        category_mappings_copy(source=connected_client, target=connected_client)
