"""Verify against the emulated Odoo 16 to 19: every check passing, and each one failing on its own."""
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.formats import day
from integrations.services import odoo_connection_save
from integrations.verify_odoo import odoo_company_choose, odoo_connection_verify
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_api_key, emulated_user_groups_set


def checks(report):
    return {c.key: c for c in report.checks}


@pytest.mark.django_db
def test_first_verify_asks_for_the_company_then_everything_passes(odoo_connection_to_sandbox, fake_odoo):
    # The recorded integration user gets these two optional groups later in the scenario (files 23-28).
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid,
                             add=["base.group_partner_manager", "account.group_account_manager"])
    connection = odoo_connection_to_sandbox
    report = odoo_connection_verify(connection=connection)
    # The integration user is allowed in both companies of the recorded set-up: the bookkeeper chooses.
    assert checks(report)["company"].passed is False
    assert "Client A BV" in checks(report)["company"].detail and "Client B BV" in checks(report)["company"].detail
    assert [c["name"] for c in report.companies] == ["Client A BV", "Client B BV"]
    assert report.passed is False

    odoo_company_choose(connection=connection, company_id=1)
    report = odoo_connection_verify(connection=connection)
    assert report.passed, [(c.key, c.detail) for c in report.failures]
    assert all(c.passed for c in report.checks), [(c.key, c.detail) for c in report.failures]
    connection.refresh_from_db()
    assert connection.company_name == "Client A BV"
    assert connection.server_version.startswith(str(fake_odoo.version))
    assert connection.user_id == fake_odoo.uid
    # JSON-2 where the server offers it, found out by asking (19), JSON-RPC before.
    assert connection.protocol == ("json-2" if fake_odoo.version >= 19 else "json-rpc")
    assert ("(JSON-2)" if fake_odoo.version >= 19 else "(JSON-RPC)") in checks(report)["server"].detail
    assert checks(report)["login"].detail == "Signed in as “pleo@example.com”."
    assert connection.verification_passed is True
    assert connection.verified_at is not None


@pytest.mark.django_db
def test_a_company_the_user_left_is_named_in_the_check(odoo_connection_to_sandbox, fake_odoo):
    odoo_connection_verify(connection=odoo_connection_to_sandbox)
    odoo_company_choose(connection=odoo_connection_to_sandbox, company_id=2)
    user = EmulatedRecord.objects.get(database=fake_odoo.database, model="res.users", record_id=fake_odoo.uid)
    user.values = {**user.values, "company_id": 1, "company_ids": [1]}
    user.save()

    report = odoo_connection_verify(connection=odoo_connection_to_sandbox)

    assert checks(report)["company"].detail == (
        "The user is not allowed in the chosen company (Client B BV). Allowed: Client A BV.")


@pytest.mark.django_db
def test_company_outside_the_live_list_cannot_be_chosen(odoo_connection_to_sandbox):
    odoo_connection_verify(connection=odoo_connection_to_sandbox)
    with pytest.raises(ValidationError):
        odoo_company_choose(connection=odoo_connection_to_sandbox, company_id=99)


@pytest.mark.django_db
def test_wrong_api_key_fails_the_login_check(client_company, fake_odoo):
    connection = odoo_connection_save(
        client=client_company, data={"url": fake_odoo.url, "database": fake_odoo.name, "login": fake_odoo.login},
        api_key="not-the-right-key-000000000000",
    )
    report = odoo_connection_verify(connection=connection)
    assert checks(report)["database"].passed is True
    assert checks(report)["login"].passed is False
    assert "plan" not in checks(report)["login"].detail  # not Odoo Online
    assert checks(report)["accountant"].passed is None


@pytest.mark.django_db
def test_user_without_accounting_rights_fails_the_accountant_check(client_company, fake_odoo):
    connection = odoo_connection_save(
        client=client_company, data={"url": fake_odoo.url, "database": fake_odoo.name, "login": "norights@example.com"},
        api_key=emulated_api_key(database=fake_odoo.database, uid=fake_odoo.norights_uid),
    )
    report = odoo_connection_verify(connection=connection)
    accountant = checks(report)["accountant"]
    assert accountant.passed is False
    assert "Accountant" in accountant.fix
    assert report.passed is False


@pytest.mark.django_db
def test_user_without_settings_rights_fails_the_settings_check(odoo_connection_to_sandbox, fake_odoo):
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid, remove=["base.group_system"])
    report = odoo_connection_verify(connection=odoo_connection_to_sandbox)
    assert checks(report)["settings"].passed is False
    assert checks(report)["accountant"].passed is True


@pytest.mark.django_db
def test_company_the_user_may_not_use_fails_the_company_check(odoo_connection_to_sandbox, fake_odoo):
    odoo_connection_to_sandbox.company_id = 2
    odoo_connection_to_sandbox.save()
    user = EmulatedRecord.objects.get(database__name=odoo_connection_to_sandbox.database, model="res.users",
                                      record_id=fake_odoo.uid)
    user.values = {**user.values, "company_ids": [1]}
    user.save()
    report = odoo_connection_verify(connection=odoo_connection_to_sandbox)
    company = checks(report)["company"]
    assert company.passed is False
    assert "Allowed Companies" in company.fix


@pytest.mark.django_db
def test_missing_employees_app_fails_its_check(odoo_connection_to_sandbox):
    odoo_company_choose_first(odoo_connection_to_sandbox)
    hr = next(r for r in EmulatedRecord.objects.filter(
        database__name=odoo_connection_to_sandbox.database, model="ir.module.module") if r.values["name"] == "hr")
    hr.values = {**hr.values, "state": "uninstalled"}
    hr.save()
    report = odoo_connection_verify(connection=odoo_connection_to_sandbox)
    assert checks(report)["employees"].passed is False
    assert "Apps" in checks(report)["employees"].fix


@pytest.mark.django_db
def test_missing_optional_rights_are_reported_without_failing_verify(odoo_connection_to_sandbox, fake_odoo):
    odoo_company_choose_first(odoo_connection_to_sandbox)
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid,
                             remove=["base.group_partner_manager", "account.group_account_manager"])
    report = odoo_connection_verify(connection=odoo_connection_to_sandbox)
    if fake_odoo.version >= 19:
        # 19's Settings group implies Contact Creation (odoo-contract 23): the user has it all the same.
        assert checks(report)["contact_creation"].passed is True
    else:
        assert checks(report)["contact_creation"].passed is False
        assert "Contact Creation" in checks(report)["contact_creation"].fix
    assert checks(report)["adviser"].passed is False
    assert report.passed is True


@pytest.mark.django_db
@pytest.mark.parametrize("fake_odoo", [18, 19], indirect=True)  # 16 and 17 keys never expire (odoo-contract 112)
@pytest.mark.parametrize("days,passed", [(200, True), (10, False)])
def test_an_api_key_that_expires_soon_is_reported_with_the_days_left(odoo_connection_to_sandbox, fake_odoo,
                                                                     days, passed):
    import datetime

    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days, hours=1))
    for key in EmulatedRecord.objects.filter(database=fake_odoo.database, model="res.users.apikeys"):
        key.values = {**key.values, "expiration_date": expires.strftime("%Y-%m-%d %H:%M:%S")}
        key.save()
    odoo_company_choose_first(odoo_connection_to_sandbox)
    report = odoo_connection_verify(connection=odoo_connection_to_sandbox)
    key = checks(report)["key"]
    assert key.passed is passed and f"({days} days from now)" in key.detail
    # The date written as everywhere in the portal (integrations.formats), in the firm's time zone.
    assert f"on {day(timezone.localtime(odoo_connection_to_sandbox.key_expires_at).date())} (" in key.detail
    assert f"{expires:%Y-%m-%d}" not in key.detail
    assert report.passed is True  # a warning before exports stop, not a refusal
    odoo_connection_to_sandbox.refresh_from_db()
    assert odoo_connection_to_sandbox.key_expires_at.date() == expires.date()


def odoo_company_choose_first(connection):
    odoo_connection_verify(connection=connection)
    odoo_company_choose(connection=connection, company_id=1)
