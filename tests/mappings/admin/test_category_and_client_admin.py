"""The category bulk page, the template copy, the client page's problems and the setup helper, as a bookkeeper
uses them."""
import pytest
from django.urls import reverse
from django.utils import timezone

from mappings.models import BookingSettings, CategoryMapping, SyncRun
from mappings.category_mappings import category_mappings_refresh
from sandbox.odoo.services import emulated_user_groups_set
from tests.factories import ClientFactory
from tests.odoo_lookups import odoo_account, odoo_accounts_retire


def category(client, code, name):
    return CategoryMapping.objects.create(client=client, pleo_account_id=f"{client.pk}-{code}", pleo_account_code=code,
                                          pleo_account_name=name)


@pytest.fixture
def own_and_other(staff_user):
    own = ClientFactory(name="Own Client BV")
    own.staff.add(staff_user)
    other = ClientFactory(name="Other Client BV")
    category(own, "6810", "Own office supplies")
    category(other, "6810", "Other office supplies")
    SyncRun.objects.create(client=other, kind="tax", started_at=timezone.now(), triggered_by="schedule")
    return own, other


@pytest.fixture
def staff_browser(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.django_db
def test_category_list_and_bulk_page_show_only_the_users_clients(staff_browser, own_and_other):
    own, other = own_and_other
    page = staff_browser.get(reverse("admin:mappings_categorymapping_changelist"))
    assert b"Own office supplies" in page.content and b"Other office supplies" not in page.content
    page = staff_browser.get(reverse("admin:mappings_categorymapping_choose"))
    assert b"Own Client BV" in page.content and b"Other Client BV" not in page.content
    assert staff_browser.get(reverse("admin:mappings_categorymapping_map", args=[other.pk])).status_code == 404
    assert staff_browser.post(reverse("admin:mappings_categorymapping_map", args=[other.pk]),
                              {"refresh": "1"}).status_code == 404
    page = staff_browser.get(reverse("admin:mappings_categorymapping_map", args=[own.pk]))
    assert page.status_code == 200 and b"Own office supplies" in page.content
    mapping = CategoryMapping.objects.get(client=other)
    assert staff_browser.get(reverse("admin:mappings_categorymapping_history",
                                     args=[mapping.pk])).status_code in (302, 404)


@pytest.mark.django_db
def test_client_page_and_setup_helper_of_another_client_do_not_open(staff_browser, own_and_other):
    own, other = own_and_other
    assert staff_browser.get(reverse("admin:integrations_client_setup", args=[other.pk])).status_code == 404
    assert staff_browser.post(reverse("admin:integrations_client_setup", args=[other.pk]),
                              {"proposal": ["wallet_account"]}).status_code == 404
    page = staff_browser.get(reverse("admin:integrations_client_change", args=[other.pk]))
    assert page.status_code in (302, 404) and b"Other Client BV" not in page.content
    page = staff_browser.get(reverse("admin:integrations_client_change", args=[own.pk]))
    html = page.content.decode()
    assert "has no booking settings yet" in html and "“6810 Own office supplies” has no Odoo account" in html
    assert "No sync has run yet." in html  # the other client's run is not shown


@pytest.mark.django_db
def test_categories_are_refreshed_and_mapped_in_bulk_from_one_page(client, superuser, connected_client, odoo_admin):
    client.force_login(superuser)
    url = reverse("admin:mappings_categorymapping_map", args=[connected_client.pk])
    page = client.post(url, {"refresh": "1"}, follow=True)
    assert "Categories read from Pleo: 16 new or changed." in page.content.decode()
    assert b"400400 " in page.content  # the Odoo pick list as "code name"
    rows = list(CategoryMapping.objects.filter(client=connected_client))
    office = next(m for m in rows if m.pleo_account_code == "6810")
    account = odoo_account(odoo_admin, "400400")
    form = {}
    for m in rows:
        form[f"m{m.pk}-id"] = m.pk
        form[f"m{m.pk}-odoo_account_id"] = account if m == office else ""
        form[f"m{m.pk}-default_tax_id"] = ""
    page = client.post(url, form, follow=True)
    assert "1 category mapping(s) saved." in page.content.decode()
    office.refresh_from_db()
    assert office.odoo_account_label.startswith("400400 ")
    assert office.history.first().history_user == superuser

    odoo_accounts_retire(odoo_admin, [account])
    page = client.post(url, form)
    assert page.status_code == 200
    assert "6810 Office supplies: the Odoo account" in page.content.decode()


@pytest.mark.django_db
def test_copy_action_maps_another_client_and_lists_what_did_not_match(client, superuser, connected_client,
                                                                       second_client, odoo_admin):
    from mappings.category_mappings import category_mapping_bulk_update

    client.force_login(superuser)
    category_mappings_refresh(client=connected_client)
    office = CategoryMapping.objects.get(client=connected_client, pleo_account_code="6810")
    travel = CategoryMapping.objects.get(client=connected_client, pleo_account_code="7130")
    category_mapping_bulk_update(client=connected_client, rows=[
        {"id": office.pk, "odoo_account_id": odoo_account(odoo_admin, "400400")},
        {"id": travel.pk, "odoo_account_id": odoo_account(odoo_admin, "400500")}])
    from sandbox.pleo.models import BookkeepingAccount

    BookkeepingAccount.objects.filter(company=second_client.pleo_company, code="7130").update(code="7131")
    changelist = reverse("admin:mappings_categorymapping_changelist")
    data = {"action": "copy_to_client", "_selected_action": [office.pk, travel.pk]}
    page = client.post(changelist, data)
    assert page.status_code == 200 and b"Client B BV" in page.content
    page = client.post(changelist, {**data, "apply": "1", "target": second_client.pk}, follow=True)
    html = page.content.decode()
    assert "Client B BV: 2 categories matched" not in html and "Client B BV: 1 categories matched, 1 changed." in html
    assert "Not copied: 7130 Travel - local transport" in html
    copied = CategoryMapping.objects.get(client=second_client, pleo_account_code="6810")
    assert copied.odoo_account_label.startswith("400400")


@pytest.mark.django_db
def test_setup_helper_shows_the_proposal_then_odoos_refusal_then_what_was_created(client, superuser, connected_client,
                                                                                 fake_odoo):
    client.force_login(superuser)
    url = reverse("admin:integrations_client_setup", args=[connected_client.pk])
    page = client.get(url)
    assert b"109900 Pleo Wallet" in page.content and b"Confirm" in page.content
    page = client.post(url, {"proposal": ["wallet_account"]})
    # No Adviser right yet: Odoo's refusal is shown and nothing is created.
    assert "You are not allowed to create &#x27;Account&#x27;" in page.content.decode()
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid, add=["account.group_account_manager"])
    page = client.post(url, {"proposal": ["wallet_account", "out_of_pocket_account", "card_journal"]})
    html = page.content.decode()
    assert "Created in Odoo" in html and "109900 Pleo Wallet" in html and "PLEO Pleo" in html
    assert "has every account and journal" in html
    assert BookingSettings.objects.get(client=connected_client).wallet_account_label == "109900 Pleo Wallet"


@pytest.mark.django_db
def test_booking_settings_page_offers_one_booking_choice_per_expense_type(client, superuser, connected_client):
    client.force_login(superuser)
    page = client.get(reverse("admin:mappings_bookingsettings_add") + f"?client={connected_client.pk}")
    html = page.content.decode()
    assert 'name="kind_mode__wallet_topup"' in html and 'name="kind_mode__fee"' in html
    assert "Default (Not exported)" in html  # top-ups ignored by default
    assert 'name="lock_date_policy"' in html
