"""Fix links of failed exports: each leads to the screen and row where the user fixes what the failure named."""
import pytest
from django.urls import reverse

from mappings.category_mappings import category_mappings_refresh
from mappings.fixes import failure_fix
from mappings.models import AnalyticTagMapping, BookingSettings, CategoryMapping, PleoTaxCode, TaxMapping
from mappings.pleo_tax_codes import pleo_tax_codes_refresh
from sandbox.pleo.models import TaxCode

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("fake_odoo", [17], indirect=True)]


@pytest.fixture
def admin_browser(client, superuser):
    client.force_login(superuser)
    return client


def opened(browser, url):
    """The page a fix link opens (its #anchor is the browser's business), as text."""
    page = browser.get(url.split("#")[0])
    assert page.status_code == 200, url
    return page.content.decode()


def test_a_tax_code_already_read_from_pleo_opens_its_row_with_the_odoo_taxes(admin_browser, connected_client,
                                                                             fake_pleo):
    pleo_tax_codes_refresh(client=connected_client)
    row = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="I0")
    label, url = failure_fix(client_id=connected_client.pk,
                             detail={"fix": "tax_code", "code_id": row.pleo_tax_code_id, "code": "I0", "rate": "0"})
    assert label == "Map tax code I0"
    assert url == reverse("admin:mappings_pleotaxcode_change", args=[row.pk])
    html = opened(admin_browser, url)
    assert "I0 No VAT (0%)" in html and 'name="odoo_tax"' in html


def test_a_tax_code_not_read_yet_is_read_from_pleo_and_its_row_opens(admin_browser, connected_client, fake_pleo):
    zero = TaxCode.objects.get(company=fake_pleo.company, code="I0")
    label, url = failure_fix(client_id=connected_client.pk,
                             detail={"fix": "tax_code", "code_id": str(zero.uuid), "code": "I0", "rate": "0"})
    assert label == "Map tax code I0"

    page = admin_browser.get(url, follow=True)

    assert page.status_code == 200
    row = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="I0")
    assert page.redirect_chain[-1][0] == reverse("admin:mappings_pleotaxcode_change", args=[row.pk])
    html = page.content.decode()
    assert "tax codes read from Pleo" in html and "I0 No VAT (0%)" in html and 'name="odoo_tax"' in html
    # The next failure of the same code leads straight to the row.
    assert failure_fix(client_id=connected_client.pk, detail={"fix": "tax_code", "code_id": str(zero.uuid),
                                                              "code": "I0"})[1].startswith(
        reverse("admin:mappings_pleotaxcode_change", args=[PleoTaxCode.objects.get(pleo_tax_code="I0").pk]))


def test_a_tax_code_pleo_no_longer_has_leads_to_the_clients_codes_saying_so(admin_browser, connected_client):
    label, url = failure_fix(client_id=connected_client.pk,
                             detail={"fix": "tax_code", "code_id": "deleted-in-pleo", "code": "X5"})
    html = admin_browser.get(url, follow=True).content.decode()
    assert "Client A BV&#x27;s Pleo has no tax code “X5” (any more)" in html
    assert "I0 No VAT (0%)" in html  # the list of the client's codes, read just now


def test_a_tax_code_the_sync_archived_opens_its_tax_mapping(admin_browser, connected_client):
    mapping = TaxMapping.objects.create(client=connected_client, odoo_tax_id=11, odoo_tax_name="21%",
                                        pleo_tax_code_id="made-by-sync", pleo_tax_code="odoo-tax-11", archived=True,
                                        skip_reason="Removed or archived in Odoo.")
    label, url = failure_fix(client_id=connected_client.pk,
                             detail={"fix": "tax_code", "code_id": "made-by-sync", "code": "odoo-tax-11"})
    assert label == "See why tax code odoo-tax-11 (21%) is archived"
    assert "Archived: Removed or archived in Odoo." in opened(admin_browser, url)
    assert url == reverse("admin:mappings_taxmapping_change", args=[mapping.pk])


def test_a_category_opens_its_row_on_the_client_map_page(admin_browser, connected_client):
    category_mappings_refresh(client=connected_client)
    row = CategoryMapping.objects.get(client=connected_client, pleo_account_name="Meals and entertainment")
    label, url = failure_fix(client_id=connected_client.pk,
                             detail={"fix": "category", "account_id": row.pleo_account_id, "name": "Meals"})
    assert label == "Map category Meals"
    assert url == reverse("admin:mappings_categorymapping_map", args=[connected_client.pk]) + f"#category-{row.pk}"
    html = opened(admin_browser, url)
    assert f'id="category-{row.pk}"' in html and "7200 Meals and entertainment" in html
    assert f'name="m{row.pk}-odoo_account_id"' in html  # where its account is chosen


def test_a_category_not_read_yet_opens_the_page_that_reads_it(admin_browser, connected_client):
    label, url = failure_fix(client_id=connected_client.pk,
                             detail={"fix": "category", "account_id": "new-one", "name": "Parking"})
    assert label == "Map category Parking"
    assert 'value="Refresh categories from Pleo"' in opened(admin_browser, url)


def test_a_synced_tag_opens_its_tag_group_pair(admin_browser, export_client):
    tag = AnalyticTagMapping.objects.filter(client=export_client).select_related("pair").first()
    label, url = failure_fix(client_id=export_client.pk,
                             detail={"fix": "tag", "tag_id": tag.pleo_tag_id, "name": "Sales"})
    assert label == f"Check tag Sales in the tag group {tag.pair.pleo_tag_group_name}"
    assert url.endswith("#tag_mappings-group")
    html = opened(admin_browser, url)
    assert 'id="tag_mappings-group"' in html and tag.odoo_analytic_account_name in html


def test_an_unknown_tag_opens_the_clients_tag_group_pairs_to_pair_or_sync(admin_browser, connected_client):
    label, url = failure_fix(client_id=connected_client.pk, detail={"fix": "tag", "tag_id": "x", "name": "CC-900"})
    assert label == "Pair the tag group of CC-900 with an Odoo analytic plan, or sync the tags"
    html = opened(admin_browser, url)
    assert reverse("admin:mappings_taggrouppair_sync") in html and reverse("admin:mappings_taggrouppair_add") in html


def test_a_setting_opens_the_clients_booking_settings_at_its_field(admin_browser, export_client):
    settings = BookingSettings.objects.get(client=export_client)
    label, url = failure_fix(client_id=export_client.pk, detail={"fix": "setting", "setting": "wallet_account_id"})
    assert label == "Choose the Pleo Wallet account in booking settings"
    assert url == reverse("admin:mappings_bookingsettings_change", args=[settings.pk]) + "#id_wallet_account_id"
    assert 'id="id_wallet_account_id"' in opened(admin_browser, url)
    # The setting named without its "_id", and one that is not an Odoo id.
    assert failure_fix(client_id=export_client.pk, detail={"fix": "setting", "setting": "bill_journal"}) == (
        "Choose the vendor-bill journal in booking settings",
        reverse("admin:mappings_bookingsettings_change", args=[settings.pk]) + "#id_bill_journal_id")
    label, url = failure_fix(client_id=export_client.pk, detail={"fix": "setting", "setting": "lock_date_policy"})
    assert label == "Set “Expenses dated in a locked period” in booking settings"
    assert 'id="id_lock_date_policy"' in opened(admin_browser, url)


def test_a_setting_of_a_client_without_settings_opens_their_add_page(admin_browser, connected_client):
    label, url = failure_fix(client_id=connected_client.pk, detail={"fix": "setting", "setting": "wallet_account_id"})
    assert url == reverse("admin:mappings_bookingsettings_add") + f"?client={connected_client.pk}#id_wallet_account_id"
    assert 'id="id_wallet_account_id"' in opened(admin_browser, url)


@pytest.mark.parametrize("detail", [{}, {"fix": "weather"}, None])
def test_an_unknown_fix_has_no_link(connected_client, detail):
    assert failure_fix(client_id=connected_client.pk, detail=detail) is None
