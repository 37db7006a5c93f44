"""A staff member sees and changes only the clients assigned to them; superusers see all."""
import pytest
from django.urls import reverse

from integrations.models import Client, OdooConnection
from tests.factories import ClientFactory, OdooConnectionFactory, PleoConnectionFactory


@pytest.fixture
def own_and_other(staff_user):
    own = ClientFactory(name="Own Client BV")
    own.staff.add(staff_user)
    other = ClientFactory(name="Other Client BV")
    return {
        "own": own,
        "other": other,
        "own_odoo": OdooConnectionFactory(client=own),
        "other_odoo": OdooConnectionFactory(client=other),
        "own_pleo": PleoConnectionFactory(client=own),
        "other_pleo": PleoConnectionFactory(client=other),
    }


@pytest.fixture
def staff_browser(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["client", "odooconnection", "pleoconnection"])
def test_changelist_lists_only_assigned_clients(staff_browser, own_and_other, model):
    page = staff_browser.get(reverse(f"admin:integrations_{model}_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Own Client BV" in html
    assert "Other Client BV" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name, key",
    [
        ("admin:integrations_client_change", "other"),
        ("admin:integrations_client_history", "other"),
        ("admin:integrations_client_delete", "other"),
        ("admin:integrations_odooconnection_change", "other_odoo"),
        ("admin:integrations_odooconnection_history", "other_odoo"),
        ("admin:integrations_pleoconnection_change", "other_pleo"),
        ("admin:integrations_pleoconnection_history", "other_pleo"),
    ],
)
def test_direct_url_to_another_clients_object_is_not_found(staff_browser, own_and_other, url_name, key):
    page = staff_browser.get(reverse(url_name, args=[own_and_other[key].pk]))
    # The admin answers a hidden object with a redirect to the index plus "doesn't exist", or 404.
    assert page.status_code in (302, 404)
    if page.status_code == 302:
        assert page.url == reverse("admin:index")
    assert b"Other Client BV" not in page.content


@pytest.mark.django_db
def test_own_objects_open(staff_browser, own_and_other):
    for url_name, key in [
        ("admin:integrations_client_change", "own"),
        ("admin:integrations_client_history", "own"),
        ("admin:integrations_odooconnection_change", "own_odoo"),
        ("admin:integrations_pleoconnection_change", "own_pleo"),
    ]:
        assert staff_browser.get(reverse(url_name, args=[own_and_other[key].pk])).status_code == 200


@pytest.mark.django_db
def test_verify_of_another_clients_connection_is_not_found(staff_browser, own_and_other):
    url = reverse("admin:integrations_odooconnection_verify", args=[own_and_other["other_odoo"].pk])
    assert staff_browser.post(url).status_code == 404
    own_and_other["other_odoo"].refresh_from_db()
    assert own_and_other["other_odoo"].verified_at is None


@pytest.mark.django_db
def test_bulk_action_cannot_reach_another_client(staff_browser, own_and_other):
    staff_browser.post(
        reverse("admin:integrations_client_changelist"),
        {"action": "pause_clients", "_selected_action": [own_and_other["own"].pk, own_and_other["other"].pk]},
    )
    assert Client.objects.get(pk=own_and_other["own"].pk).status == "paused"
    assert Client.objects.get(pk=own_and_other["other"].pk).status == "active"


@pytest.mark.django_db
def test_connection_cannot_be_attached_to_another_client(staff_browser, own_and_other):
    third = ClientFactory(name="Third Client BV")
    page = staff_browser.post(reverse("admin:integrations_odooconnection_add"), {
        "client": third.pk, "url": "https://third.odoo.com", "database": "third",
        "login": "pleo@example.com", "new_api_key": "secret-key-for-third",
    })
    assert page.status_code == 200  # the form comes back with an error
    assert "Select a valid choice" in page.content.decode()
    assert not OdooConnection.objects.filter(client=third).exists()


@pytest.mark.django_db
def test_staff_member_who_adds_a_client_handles_it(staff_browser, staff_user):
    page = staff_browser.post(reverse("admin:integrations_client_add"),
                              {"name": "New Client BV", "status": "active", "notes": ""})
    assert page.status_code == 302
    client = Client.objects.get(name="New Client BV")
    assert list(client.staff.all()) == [staff_user]
    assert staff_browser.get(reverse("admin:integrations_client_change", args=[client.pk])).status_code == 200


@pytest.mark.django_db
def test_staff_member_cannot_assign_staff(staff_browser, own_and_other):
    page = staff_browser.get(reverse("admin:integrations_client_change", args=[own_and_other["own"].pk]))
    assert 'name="staff"' not in page.content.decode()


@pytest.mark.django_db
def test_superuser_sees_every_client(client, superuser, own_and_other):
    client.force_login(superuser)
    html = client.get(reverse("admin:integrations_client_changelist")).content.decode()
    assert "Own Client BV" in html and "Other Client BV" in html
