"""The mappings admin: another client's rows stay invisible, and the pages call the services."""
import pytest
from django.urls import reverse
from django.utils import timezone

from mappings.models import BookingSettings, PleoTaxCode, SyncRun, TagGroupPair, TaxMapping
from tests.factories import ClientFactory


def rows_for(client):
    return {
        "bookingsettings": BookingSettings.objects.create(client=client),
        "taxmapping": TaxMapping.objects.create(client=client, odoo_tax_id=11, odoo_tax_name=f"Tax of {client.name}"),
        "pleotaxcode": PleoTaxCode.objects.create(client=client, pleo_tax_code_id=f"code-{client.pk}",
                                                  pleo_tax_code="I0", pleo_tax_name=f"Code of {client.name}"),
        "taggrouppair": TagGroupPair.objects.create(
            client=client, odoo_plan_id=1, odoo_plan_name=f"Plan of {client.name}", pleo_tag_group_id="g",
            pleo_tag_group_code="G", pleo_tag_group_name=f"Group of {client.name}"),
        "syncrun": SyncRun.objects.create(client=client, kind="tax", started_at=timezone.now(),
                                          triggered_by="schedule", errors=f"Error of {client.name}"),
    }


@pytest.fixture
def own_and_other(staff_user):
    own = ClientFactory(name="Own Client BV")
    own.staff.add(staff_user)
    other = ClientFactory(name="Other Client BV")
    return {"own": rows_for(own), "other": rows_for(other)}


@pytest.fixture
def staff_browser(client, staff_user):
    client.force_login(staff_user)
    return client


MODELS = ["bookingsettings", "taxmapping", "pleotaxcode", "taggrouppair", "syncrun"]


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_changelist_shows_only_the_clients_assigned_to_the_user(staff_browser, own_and_other, model):
    page = staff_browser.get(reverse(f"admin:mappings_{model}_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Own Client BV" in html
    assert "Other Client BV" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_another_clients_row_does_not_open(staff_browser, own_and_other, model):
    for view in ("change", "history"):
        page = staff_browser.get(reverse(f"admin:mappings_{model}_{view}", args=[own_and_other["other"][model].pk]))
        assert page.status_code in (302, 404)
        assert b"Other Client BV" not in page.content


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["bookingsettings", "taggrouppair"])
def test_add_page_offers_only_the_users_clients(staff_browser, own_and_other, model):
    page = staff_browser.get(reverse(f"admin:mappings_{model}_add"))
    assert b"Own Client BV" in page.content and b"Other Client BV" not in page.content
    other = own_and_other["other"]["syncrun"].client
    # Another client's id in the address falls back to the chooser of the user's own clients.
    page = staff_browser.get(reverse(f"admin:mappings_{model}_add") + f"?client={other.pk}")
    assert b"Other Client BV" not in page.content and b"Own Client BV" in page.content
    assert b"Choose</a>" in page.content


@pytest.mark.django_db
def test_reading_another_clients_tax_codes_is_not_found(staff_browser, own_and_other):
    other = own_and_other["other"]["syncrun"].client
    page = staff_browser.get(reverse("admin:mappings_pleotaxcode_read") + f"?client={other.pk}")
    assert b"Other Client BV" not in page.content and b"Own Client BV" in page.content  # the chooser instead
    assert not PleoTaxCode.objects.filter(client=other).exclude(pleo_tax_code_id=f"code-{other.pk}").exists()


@pytest.mark.django_db
def test_sync_now_for_another_client_is_not_found(staff_browser, own_and_other):
    other = own_and_other["other"]["syncrun"].client
    page = staff_browser.post(reverse("admin:mappings_taxmapping_sync"), {"client": other.pk})
    assert page.status_code == 404
    assert SyncRun.objects.filter(client=other).count() == 1


@pytest.mark.django_db
def test_booking_settings_form_refuses_a_wrong_account_type_on_its_field(client, superuser, connected_client,
                                                                          odoo_admin):
    client.force_login(superuser)
    url = reverse("admin:mappings_bookingsettings_add") + f"?client={connected_client.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert b"130000 " in page.content  # the pick list, read from Odoo as "code name"
    expense = next(iter(odoo_admin.search_read("account.account", [("account_type", "=", "expense")], ["code"],
                                               limit=1)))
    misc = next(iter(odoo_admin.search_read("account.journal", [("type", "=", "general")], ["code"], limit=1)))
    form = {
        "client": connected_client.pk, "wallet_account_id": expense["id"], "card_journal_id": misc["id"],
        "card_booking_mode": "journal_entry", "card_post_state": "draft", "card_receipts": "on",
        "out_of_pocket_booking_mode": "journal_entry", "out_of_pocket_post_state": "draft",
        "lock_date_policy": "first_open_day",
        "wallet_topups": "ignore", "poll_interval_minutes": 5,
    }
    page = client.post(url, form)
    assert page.status_code == 200
    assert "must be of type Current Assets or Bank and Cash" in page.content.decode()
    assert not BookingSettings.objects.exists()

    wallet = next(iter(odoo_admin.search_read("account.account", [("account_type", "=", "asset_current")], ["code"],
                                              limit=1)))
    liability = next(iter(odoo_admin.search_read("account.account", [("account_type", "=", "liability_current")],
                                                 ["code"], limit=1)))
    page = client.post(url, {**form, "wallet_account_id": wallet["id"], "out_of_pocket_account_id": liability["id"]})
    assert page.status_code == 302, page.content.decode()[:3000]
    settings = BookingSettings.objects.get(client=connected_client)
    assert settings.wallet_account_label.startswith(wallet["code"])
    assert settings.history.first().history_user == superuser

    change = reverse("admin:mappings_bookingsettings_change", args=[settings.pk])
    assert client.get(change).status_code == 200
    page = client.post(change, {**form, "wallet_account_id": wallet["id"], "out_of_pocket_account_id": liability["id"],
                                "poll_interval_minutes": 10})
    assert page.status_code == 302
    settings.refresh_from_db()
    assert settings.poll_interval_minutes == 10


@pytest.mark.django_db
def test_tag_group_pair_added_and_synced_from_the_admin(client, superuser, connected_client, fake_pleo):
    client.force_login(superuser)
    url = reverse("admin:mappings_taggrouppair_add") + f"?client={connected_client.pk}"
    page = client.get(url)
    assert b"Projects" in page.content and b"Cost centres" in page.content
    from mappings.selectors import odoo_analytic_plans_for

    plan = next(pid for pid, name in odoo_analytic_plans_for(client=connected_client) if name == "Projects")
    page = client.post(url, {"client": connected_client.pk, "plan": plan, "tag_group": ""})
    assert page.status_code == 302, page.content.decode()[:3000]
    pair = TagGroupPair.objects.get(client=connected_client)
    page = client.post(reverse("admin:mappings_taggrouppair_sync"), {"client": connected_client.pk}, follow=True)
    assert "2 created" in page.content.decode()
    assert pair.tag_mappings.count() == 2
    page = client.get(reverse("admin:mappings_taggrouppair_change", args=[pair.pk]))
    assert b"Project Apollo" in page.content
