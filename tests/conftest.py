"""Shared fixtures: users, clients, connections, and the sandboxes that stand in for Pleo and Odoo."""
import pytest

from tests.factories import (
    ClientFactory,
    OdooConnectionFactory,
    PleoConnectionFactory,
    UserFactory,
)


def pytest_addoption(parser):
    parser.addoption(
        "--engine-sensitive-only", action="store_true",
        help="run only what the database engine can change: the tests marked postgres or both_databases, "
             "those parametrised over emulated Odoo versions on the newest only (make test's PostgreSQL pass)",
    )


def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite twice: whole on SQLite, then on PostgreSQL what the engine can change.

    On SQLite the `postgres` tests are skipped. With --engine-sensitive-only (the PostgreSQL pass) only the
    tests marked `postgres` or `both_databases` run; the rest, whose outcome the engine cannot change,
    already ran on SQLite. Of the `both_databases` tests parametrised over emulated Odoo versions only the
    newest version runs there: the SQL is the same for every version.
    """
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL (the suite's second run, make test-postgres)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
    if not config.getoption("engine_sensitive_only"):
        return
    newest = max(ODOO_VERSIONS)
    kept, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        version = callspec.params.get("fake_odoo") if callspec else None
        if "postgres" in item.keywords or ("both_databases" in item.keywords and version in (None, newest)):
            kept.append(item)
        else:
            deselected.append(item)
    config.hook.pytest_deselected(items=deselected)
    items[:] = kept


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def staff_user(db):
    """A staff member with the model permissions of the portal, assigned to no client yet."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="bookkeeper")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["integrations", "mappings", "exports"])
    )
    return user


@pytest.fixture
def client_company(db):
    return ClientFactory(name="Client A BV")


@pytest.fixture
def odoo_connection(client_company):
    return OdooConnectionFactory(client=client_company)


@pytest.fixture
def pleo_connection(client_company):
    return PleoConnectionFactory(client=client_company)


@pytest.fixture
def sandbox_http(monkeypatch):
    """Route the portal's outgoing HTTP to the in-process sandboxes at http://sandbox.test."""
    from integrations import transport
    from sandbox.transport import in_process_session

    monkeypatch.setattr(transport, "http_session", in_process_session)


ODOO_VERSIONS = (16, 17, 18, 19)  # the Odoo versions the emulator serves; fake_odoo runs a test on each


@pytest.fixture(params=ODOO_VERSIONS, ids=[f"odoo{v}" for v in ODOO_VERSIONS])
def fake_odoo(request, db, sandbox_http):
    """An emulated Odoo database of each supported version, seeded like the recordings."""
    from types import SimpleNamespace

    from sandbox.odoo.services import emulated_api_key, emulated_database_create, emulated_uid
    from sandbox.transport import SANDBOX_TEST_URL

    name = f"client{request.param}"
    database = emulated_database_create(name=name, version=request.param)
    uid = emulated_uid(version=request.param, login="pleo@example.com")
    return SimpleNamespace(
        database=database,
        version=request.param,
        url=f"{SANDBOX_TEST_URL}/sandbox/odoo/{name}",
        name=name,
        login="pleo@example.com",
        uid=uid,  # the integration user's; the user without accounting rights is norights_uid
        norights_uid=emulated_uid(version=request.param, login="norights@example.com"),
        api_key=emulated_api_key(database=database, uid=uid),
    )


@pytest.fixture
def odoo_connection_to_sandbox(client_company, fake_odoo):
    """A client's Odoo connection pointing at the emulated Odoo, as the integration user."""
    from integrations.services import odoo_connection_save

    return odoo_connection_save(
        client=client_company,
        data={"url": fake_odoo.url, "database": fake_odoo.name, "login": fake_odoo.login},
        api_key=fake_odoo.api_key,
    )


@pytest.fixture
def fake_pleo(db, sandbox_http):
    """A Pleo company in the sandbox with a company-scoped API token."""
    from types import SimpleNamespace

    from sandbox.pleo.services import sandbox_company_create
    from sandbox.transport import SANDBOX_TEST_URL

    company, token = sandbox_company_create(name="Client A ApS", currency="EUR")
    return SimpleNamespace(company=company, company_id=str(company.uuid), token=token,
                           url=f"{SANDBOX_TEST_URL}/sandbox/pleo")


@pytest.fixture
def pleo_connection_to_sandbox(client_company, fake_pleo):
    from integrations.services import pleo_connection_save

    return pleo_connection_save(client=client_company, data={"api_base_url": fake_pleo.url}, api_token=fake_pleo.token)


@pytest.fixture(autouse=True)
def _empty_cache():
    # The Odoo pick lists are cached; one test's chart must not show up in the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def connected_client(client_company, odoo_connection_to_sandbox, pleo_connection_to_sandbox, fake_pleo):
    """Client A, whose Odoo company (1, "Client A BV") and Pleo company are chosen."""
    from integrations.verify_pleo import pleo_company_choose

    odoo_connection_to_sandbox.company_id = 1
    odoo_connection_to_sandbox.company_name = "Client A BV"
    odoo_connection_to_sandbox.save()
    pleo_company_choose(connection=pleo_connection_to_sandbox, company_id=fake_pleo.company_id,
                        company_name="Client A ApS")
    return client_company


@pytest.fixture
def odoo_admin(fake_odoo):
    """The emulated Odoo as its administrator (uid 2), to change Odoo data the way a user would."""
    from integrations.odoo.client import OdooClient, OdooCredentials
    from sandbox.odoo.services import emulated_api_key
    from sandbox.transport import in_process_session

    return OdooClient(
        OdooCredentials(url=fake_odoo.url, database=fake_odoo.name, login="admin",
                        api_key=emulated_api_key(database=fake_odoo.database, uid=2)),
        company_id=1, uid=2, session=in_process_session(), max_retries=0,
    )


@pytest.fixture
def export_client(connected_client, fake_odoo, fake_pleo):
    """Client A with every mapping the export needs; journal entries, posted, receipts on, 0 % unmapped."""
    from sandbox.demo import export_mappings_seed

    export_mappings_seed(client=connected_client, database=fake_odoo.database, company=fake_pleo.company)
    return connected_client


@pytest.fixture
def exported(export_client, fake_pleo):
    """One real export of eight items of every kind; the 0 % VAT card purchase among them fails."""
    from exports.services import export_queue_poll
    from sandbox.pleo.scenarios import export_items_generate
    from sandbox.pleo.services import export_job_create

    items = export_items_generate(company=fake_pleo.company, count=8, seed=1, with_receipts=False)
    job = export_job_create(company=fake_pleo.company, items=items)
    runs = export_queue_poll(client_id=export_client.pk, triggered_by="test")
    assert runs and runs[0].failed_count >= 1, [r.error for r in runs]
    return job


@pytest.fixture
def valid_data(odoo_admin):
    """Booking settings that pass every check against the emulated Odoo's company 1."""
    from mappings.choices import BookingMode, TopUpHandling
    from tests.odoo_lookups import odoo_account_of_type, odoo_journal_of_type

    return {
        "wallet_account_id": odoo_account_of_type(odoo_admin, "asset_current"),
        "out_of_pocket_account_id": odoo_account_of_type(odoo_admin, "liability_current"),
        "reimbursement_contra_account_id": odoo_account_of_type(odoo_admin, "asset_cash"),
        "payables_account_id": odoo_account_of_type(odoo_admin, "liability_payable"),
        "card_journal_id": odoo_journal_of_type(odoo_admin, "general"),
        "bill_journal_id": odoo_journal_of_type(odoo_admin, "purchase"),
        "card_booking_mode": BookingMode.JOURNAL_ENTRY,
        "out_of_pocket_booking_mode": BookingMode.VENDOR_BILL,
        "wallet_topups": TopUpHandling.BOOK,
        "topup_bank_account_id": odoo_account_of_type(odoo_admin, "asset_cash"),
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, dropped at the end with no session left on it.

    On PostgreSQL the portal reaches the sandboxes through the live server over HTTP. A kept-alive connection
    of such a call holds the live server's request thread, and with it that thread's database session, past
    the live server's end; PostgreSQL refuses to drop a database with a session on it, and the run would leave
    its test database behind. So those sessions are ended first.
    """
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
