"""What a bookkeeper reads on the mapping screens: rates as "21 %", taxes by name, archived only when it is, a
Refresh button instead of an address to edit, and no add or change icons beside a mapping's client."""
import re

import pytest
from django.urls import reverse

from mappings.category_mappings import category_mappings_refresh
from mappings.models import BookingSettings, CategoryMapping, PleoTaxCode
from mappings.pleo_tax_codes import pleo_tax_codes_refresh
from mappings.tax_sync import tax_mapping_sync

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("fake_odoo", [17], indirect=True)]

NBSP = "\u00a0"
REFRESH_BUTTON = re.compile(r'<a class="button" role="button" href="([^"]+)">Refresh the lists from Odoo</a>')


@pytest.fixture
def admin_browser(client, superuser):
    client.force_login(superuser)
    return client


def result_rows(html: str) -> list[str]:
    """The changelist's rows, as their text."""
    body = html.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>", " ", row.split(">", 1)[1]) for row in body.split("<tr")[2:]]
    return [re.sub(r"[ \t\r\n]+", " ", row).strip() for row in rows]  # spaces only: "21\u00a0%" keeps its own


def options(html: str, name: str) -> list[str]:
    select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", select)]


def test_tax_mappings_show_one_rate_in_percent_and_the_taxs_name(admin_browser, connected_client, odoo_admin):
    tax_mapping_sync(client=connected_client)
    html = admin_browser.get(reverse("admin:mappings_taxmapping_changelist")).content.decode()
    rows = result_rows(html)
    high = next(row for row in rows if row.startswith("21% Client A BV"))  # the Odoo tax named "21%"
    assert f"Client A BV 21{NBSP}% VAT included in the amount" in high
    assert any(f"9{NBSP}%" in row for row in rows)
    assert "21.0000" not in html and "0.210000" not in html and "odoo-tax-" not in html
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html
    assert reverse("admin:mappings_pleotaxcode_changelist") in html  # the codes made in Pleo, one click away


def test_codes_made_in_pleo_read_in_words_archived_only_when_they_are(admin_browser, connected_client, fake_pleo):
    pleo_tax_codes_refresh(client=connected_client)
    PleoTaxCode.objects.filter(pleo_tax_code="E21").update(archived=True)
    html = admin_browser.get(reverse("admin:mappings_pleotaxcode_changelist")).content.decode()
    rows = {row.split(" ")[0]: row for row in result_rows(html)}
    assert set(rows) == {"I21", "I9", "I0", "RC21", "E21"}
    assert f"0{NBSP}%" in rows["I0"] and "Not chosen: its expenses fail" in rows["I0"]
    assert "Reverse charge" in rows["RC21"] and f"21{NBSP}%" in rows["RC21"]
    assert "(archived in Pleo)" in rows["E21"]
    assert "archived" not in rows["I0"] and "icon-no.svg" not in html
    assert reverse("admin:mappings_pleotaxcode_read") in html  # "Read the tax codes from Pleo"


def test_a_code_is_offered_the_odoo_taxes_of_its_rate_and_a_refresh_shows_a_new_one(admin_browser, connected_client,
                                                                                    odoo_admin):
    pleo_tax_codes_refresh(client=connected_client)
    nine = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="I9")
    zero = PleoTaxCode.objects.get(client=connected_client, pleo_tax_code="I0")
    html = admin_browser.get(reverse("admin:mappings_pleotaxcode_change", args=[nine.pk])).content.decode()
    offered = options(html, "odoo_tax")[1:]
    assert offered and all(label.startswith("9%") for label in offered), offered
    assert not any("EX EU" in label for label in offered)  # reverse charge: not for an ordinary code
    assert f"The Odoo purchase taxes of 9{NBSP}%" in html

    url = reverse("admin:mappings_pleotaxcode_change", args=[zero.pk])
    html = admin_browser.get(url).content.decode()
    assert options(html, "odoo_tax") == ["—"]
    assert f"Odoo has no active purchase tax of 0{NBSP}%: create one in Odoo" in html
    tax_id = odoo_admin.create("account.tax", {"name": "0% purchases", "amount": 0, "amount_type": "percent",
                                               "type_tax_use": "purchase", "price_include": False, "company_id": 1})
    assert options(admin_browser.get(url).content.decode(), "odoo_tax") == ["—"]  # the list is cached
    refresh = REFRESH_BUTTON.search(html).group(1)
    assert refresh == "?refresh=1"
    html = admin_browser.get(url + refresh).content.decode()
    assert options(html, "odoo_tax") == ["—", "0% purchases"]
    page = admin_browser.post(url + refresh, {"odoo_tax": tax_id})
    assert page.status_code == 302, page.content.decode()[:3000]
    zero.refresh_from_db()
    assert zero.odoo_tax_name == "0% purchases"
    assert "I0 No VAT (0%) → 0% purchases" in admin_browser.get(page.url).content.decode()  # the message names it


def test_booking_settings_have_a_refresh_button_and_a_client_without_icons(admin_browser, connected_client):
    url = reverse("admin:mappings_bookingsettings_add") + f"?client={connected_client.pk}"
    html = admin_browser.get(url).content.decode()
    refresh = REFRESH_BUTTON.search(html).group(1)
    assert refresh == f"?client={connected_client.pk}&amp;refresh=1"
    assert "add ?refresh=1" not in html.lower()
    for icon in ("add_id_client", "change_id_client", "delete_id_client", "view_id_client"):
        assert icon not in html
    page = admin_browser.get(url + "&refresh=1")
    assert page.status_code == 200
    # Saving after a refresh does not read the lists again.
    assert f'action="?client={connected_client.pk}"' in page.content.decode()


def test_tag_group_pair_form_has_no_icons_beside_the_client(admin_browser, connected_client):
    html = admin_browser.get(reverse("admin:mappings_taggrouppair_add") + f"?client={connected_client.pk}")
    assert "add_id_client" not in html.content.decode() and "change_id_client" not in html.content.decode()


def test_category_mappings_list_says_archived_in_words_and_fits_the_page(admin_browser, connected_client):
    category_mappings_refresh(client=connected_client)
    archived = CategoryMapping.objects.filter(client=connected_client).first()
    CategoryMapping.objects.filter(pk=archived.pk).update(archived_in_pleo=True)
    html = admin_browser.get(reverse("admin:mappings_categorymapping_changelist")).content.decode()
    rows = result_rows(html)
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html
    assert sum(row.endswith("archived") for row in rows) == 1
    assert all("Not mapped" in row for row in rows)
    page = admin_browser.get(reverse("admin:mappings_categorymapping_map", args=[connected_client.pk]))
    assert "table-layout: fixed" in page.content.decode()  # three columns that share a laptop's width


def test_booking_settings_change_page_opens_for_its_client(admin_browser, export_client):
    settings = BookingSettings.objects.get(client=export_client)
    html = admin_browser.get(reverse("admin:mappings_bookingsettings_change", args=[settings.pk])).content.decode()
    assert 'role="button" href="?refresh=1"' in html and "change_id_client" not in html


def test_one_who_may_only_look_sees_the_chosen_tax_without_a_pick_list(client, connected_client):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer")
    viewer.user_permissions.set(Permission.objects.filter(codename="view_pleotaxcode"))
    connected_client.staff.add(viewer)
    row = PleoTaxCode.objects.create(client=connected_client, pleo_tax_code_id="zero", pleo_tax_code="I0",
                                     pleo_tax_name="No VAT", odoo_tax_id=7, odoo_tax_name="0% purchases")
    client.force_login(viewer)
    html = client.get(reverse("admin:mappings_pleotaxcode_change", args=[row.pk])).content.decode()
    assert "0% purchases" in html and 'name="odoo_tax"' not in html and "Refresh the lists from Odoo" in html

