"""Verify, Sync now and Export now from the client page: queued in the background, run once, their
progress and outcome shown in plain words; and the staff's bulk actions on the client list."""
from datetime import date, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportRecord, ExportRun
from integrations.tasks import client_action_run
from integrations.actions import client_action_execute, client_action_request
from integrations.models import ClientAction
from mappings.models import SyncRun, TaxMapping
from sandbox.pleo.models import ExportJob, TaxCode
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create
from tests.factories import ClientFactory

# Both databases: one queued action per kind is a database constraint (IntegrityError inside a transaction).
pytestmark = pytest.mark.both_databases

CHANGELIST = "admin:integrations_client_changelist"


def run_url(client):
    return reverse("admin:integrations_client_action", args=[client.pk])


def json_url(client):
    return reverse("admin:integrations_client_actions_json", args=[client.pk])


def actions_text(html: str) -> str:
    start = html.index('id="client-actions"')
    return html[start:html.index("</ul>", start)]


@pytest.fixture
def admin_browser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def queue_held():
    """A cluster that is not running: async_task only queues (the test settings otherwise run it at once)."""
    with mock.patch("django_q.tasks.async_task") as queued:
        yield queued


@pytest.mark.django_db
def test_export_now_books_waiting_expenses_and_the_page_shows_the_outcome(admin_browser, export_client, fake_pleo):
    items = export_items_generate(company=fake_pleo.company, count=6, seed=3, with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)

    page = admin_browser.post(run_url(export_client), {"kind": "export"}, follow=True)

    run = ExportRun.objects.get(client=export_client)
    assert run.triggered_by == "Export now by admin"
    action = ClientAction.objects.get(client=export_client, kind="export")
    assert action.status in ("succeeded", "failed") and action.finished_at and action.started_at
    listed = actions_text(page.content.decode())
    assert "Export now" in listed
    assert (f"1 export job from Pleo: {run.exported_count} exported, {run.failed_count} failed, "
            f"{run.skipped_count} skipped.") in listed
    assert run.exported_count > 0


@pytest.mark.django_db
def test_export_now_with_nothing_waiting_says_so(admin_browser, export_client):
    page = admin_browser.post(run_url(export_client), {"kind": "export"}, follow=True)
    assert "Nothing was waiting in Pleo&#x27;s export queue." in actions_text(page.content.decode())
    assert ClientAction.objects.get(client=export_client).status == "succeeded"


@pytest.mark.django_db
def test_export_now_after_odoo_refused_the_key_says_what_to_do(admin_browser, export_client):
    connection = export_client.odoo_connection
    type(connection).objects.filter(pk=connection.pk).update(credentials_refused_at=timezone.now())
    page = admin_browser.post(run_url(export_client), {"kind": "export"}, follow=True)
    action = ClientAction.objects.get(client=export_client)
    assert action.status == "failed"
    assert "Odoo refused the stored API key" in action.outcome and "press Verify" in action.outcome
    assert "Odoo refused the stored API key" in actions_text(page.content.decode())
    assert not ExportRun.objects.filter(client=export_client).exists()


@pytest.mark.django_db
def test_sync_now_reads_categories_and_syncs_taxes_and_tags(admin_browser, export_client):
    page = admin_browser.post(run_url(export_client), {"kind": "sync"}, follow=True)
    action = ClientAction.objects.get(client=export_client, kind="sync")
    assert action.status == "succeeded", action.outcome
    assert action.outcome.startswith("Categories read from Pleo:")
    assert "Taxes: " in action.outcome and "Tags: " in action.outcome
    assert set(SyncRun.objects.filter(client=export_client).values_list("kind", flat=True)) == {"tax", "tags"}
    assert "Taxes: " in actions_text(page.content.decode())


@pytest.mark.django_db
def test_paused_client_is_not_exported_and_the_person_is_told_why(admin_browser, export_client):
    export_client.status = "paused"
    export_client.save()
    page = admin_browser.post(run_url(export_client), {"kind": "export"}, follow=True)
    assert "Client A BV is paused: resume it before syncing or exporting." in page.content.decode()
    assert not ClientAction.objects.exists()


@pytest.mark.django_db
def test_queued_action_shows_as_queued_and_a_double_click_does_not_queue_it_twice(admin_browser, queue_held,
                                                                                 client_company):
    first = admin_browser.post(run_url(client_company), {"kind": "verify"}, follow=True)
    second = admin_browser.post(run_url(client_company), {"kind": "verify"}, follow=True)

    action = ClientAction.objects.get(client=client_company)
    assert action.status == "queued"
    assert queue_held.call_count == 1
    assert queue_held.call_args.args == ("integrations.tasks.client_action_run", action.pk)
    assert "Verify is queued" in first.content.decode()
    assert "Verify was already queued; it was not queued a second time." in second.content.decode()
    html = second.content.decode()
    assert 'data-busy="1"' in html and "Verify</strong> — Queued" in actions_text(html)
    data = admin_browser.get(json_url(client_company)).json()
    assert data["busy"] is True
    assert [(a["label"], a["status_label"], a["requested_by"])
            for a in data["actions"]] == [("Verify", "Queued", "admin")]
    # Another kind may wait beside it.
    admin_browser.post(run_url(client_company), {"kind": "sync"})
    assert ClientAction.objects.filter(client=client_company).count() == 2


@pytest.mark.django_db
def test_queued_verify_runs_in_the_worker_and_the_endpoint_reports_the_outcome(admin_browser, queue_held,
                                                                              odoo_connection_to_sandbox):
    client = odoo_connection_to_sandbox.client
    admin_browser.post(run_url(client), {"kind": "verify"})
    action = ClientAction.objects.get(client=client)

    client_action_run(action.pk)  # what the worker does with the queued task
    client_action_run(action.pk)  # delivered twice by the broker: the second does nothing

    data = admin_browser.get(json_url(client)).json()
    assert data["busy"] is False
    [shown] = data["actions"]
    assert shown["status_label"] == "Failed"  # no company chosen, no Pleo connection yet
    assert "Odoo of Client A BV: The user is allowed in the chosen company" in shown["outcome"]
    assert "choose the client's odoo company" in shown["outcome"].lower()
    assert "no Pleo connection yet; set it up first." in shown["outcome"]
    assert odoo_connection_to_sandbox.api_key not in str(data)
    odoo_connection_to_sandbox.refresh_from_db()
    assert odoo_connection_to_sandbox.verified_at is not None


@pytest.mark.django_db
def test_a_second_delivery_of_a_running_action_does_not_run_it_again(client_company):
    action = ClientAction.objects.create(client=client_company, kind="verify", status="running",
                                         started_at=timezone.now())
    work = mock.Mock(return_value=(True, "done"))
    assert client_action_execute(action_id=action.pk, work=work) is None
    work.assert_not_called()


@pytest.mark.django_db
def test_an_action_whose_worker_died_does_not_block_the_button(admin_browser, client_company, queue_held):
    lost = ClientAction.objects.create(client=client_company, kind="verify", status="running",
                                       started_at=timezone.now() - timedelta(hours=2))
    admin_browser.post(run_url(client_company), {"kind": "verify"})
    lost.refresh_from_db()
    assert lost.status == "failed" and "run it again" in lost.outcome
    assert ClientAction.objects.filter(client=client_company, status="queued").count() == 1


@pytest.mark.django_db
def test_running_export_shows_how_many_expenses_are_done(admin_browser, client_company):
    action = ClientAction.objects.create(client=client_company, kind="export", status="running",
                                         started_at=timezone.now(), progress="Reading Pleo's export queue…")
    run = ExportRun.objects.create(client=client_company, status="running", started_at=timezone.now(),
                                   triggered_by="Export now by admin", pleo_job_id="job-1")
    for n, status in enumerate(["exported", "failed", "skipped", "pending", "pending"]):
        ExportRecord.objects.create(client=client_company, pleo_accounting_entry_id=f"entry-{n}", export_run=run,
                                    kind="card_purchase", entry_date=date(2025, 3, 1), status=status)
    data = admin_browser.get(json_url(client_company)).json()
    assert data["busy"] is True
    assert data["actions"][0]["progress"] == "Exporting: 3 of 5 expenses done."
    assert action.pk == data["actions"][0]["id"]


@pytest.mark.django_db
def test_endpoint_and_actions_admin_show_a_staff_member_only_their_clients(client, staff_user, queue_held):
    own, other = ClientFactory(name="Own Client BV"), ClientFactory(name="Other Client BV")
    own.staff.add(staff_user)
    client_action_request(client=own, kind="verify")
    hidden, _ = client_action_request(client=other, kind="verify")
    client.force_login(staff_user)
    assert len(client.get(json_url(own)).json()["actions"]) == 1
    assert client.get(json_url(other)).status_code == 404
    html = client.get(reverse("admin:integrations_clientaction_changelist")).content.decode()
    assert "Own Client BV" in html and "Other Client BV" not in html
    assert client.get(reverse("admin:integrations_clientaction_change", args=[hidden.pk])).status_code in (302, 404)


# Bulk actions on the client list -----------------------------------------------------------------

@pytest.mark.django_db
def test_bulk_retry_sends_failed_exports_back_to_pleo_and_books_them(admin_browser, exported, export_client,
                                                                      fake_pleo, odoo_admin):
    failed = ExportRecord.objects.filter(client=export_client, status="failed")
    [record] = failed
    # The cause of the failure fixed: the 0 % tax code now has an Odoo tax.
    zero = TaxCode.objects.get(company=fake_pleo.company, code="I0")
    tax_id = odoo_admin.create("account.tax", {"name": "0% purchases", "amount": 0, "amount_type": "percent",
                                               "type_tax_use": "purchase", "price_include": False, "company_id": 1})
    TaxMapping.objects.create(client=export_client, odoo_tax_id=tax_id, odoo_tax_name="0% purchases",
                              pleo_tax_code_id=str(zero.uuid), pleo_tax_code="I0", pleo_rate=zero.rate,
                              pleo_type="inclusive")
    jobs_before = ExportJob.objects.filter(company=fake_pleo.company).count()

    page = admin_browser.post(reverse(CHANGELIST), {"action": "retry_failed_exports",
                                                    "_selected_action": [export_client.pk]}, follow=True)

    assert "1 failed export(s) of 1 client(s) sent back to Pleo&#x27;s export queue" in page.content.decode()
    assert ExportJob.objects.filter(company=fake_pleo.company).count() == jobs_before + 1
    record.refresh_from_db()
    assert record.status == "exported", record.last_error
    assert record.attempts == 2


@pytest.mark.django_db
def test_bulk_retry_leaves_failed_records_pending_while_the_worker_is_busy(admin_browser, exported, export_client,
                                                                           fake_pleo, queue_held):
    admin_browser.post(reverse(CHANGELIST), {"action": "retry_failed_exports", "_selected_action": [export_client.pk]})
    assert not ExportRecord.objects.filter(client=export_client, status="failed").exists()
    assert ExportRecord.objects.filter(client=export_client, status="pending").count() == 1
    assert queue_held.call_args.args[0] == "exports.tasks.export_queue_poll"


@pytest.mark.django_db
def test_bulk_retry_without_failures_says_so(admin_browser, client_company):
    page = admin_browser.post(reverse(CHANGELIST), {"action": "retry_failed_exports",
                                                    "_selected_action": [client_company.pk]}, follow=True)
    assert "The selected clients have no failed exports to retry." in page.content.decode()


@pytest.mark.django_db
def test_bulk_retry_of_a_staff_member_does_not_touch_another_clients_records(client, staff_user, queue_held):
    own, other = ClientFactory(name="Own Client BV"), ClientFactory(name="Other Client BV")
    own.staff.add(staff_user)
    record = ExportRecord.objects.create(client=other, pleo_accounting_entry_id="other-1", kind="card_purchase",
                                         status="failed", last_error="Other's reason")
    client.force_login(staff_user)
    page = client.post(reverse(CHANGELIST), {"action": "retry_failed_exports",
                                             "_selected_action": [own.pk, other.pk]}, follow=True)
    assert "no failed exports to retry" in page.content.decode()
    record.refresh_from_db()
    assert record.status == "failed"
    queue_held.assert_not_called()


@pytest.mark.django_db
def test_bulk_verify_queues_one_action_per_client(admin_browser, queue_held):
    clients = [ClientFactory(name=f"Client {n} BV") for n in range(3)]
    ids = [c.pk for c in clients]
    page = admin_browser.post(reverse(CHANGELIST), {"action": "verify_connections", "_selected_action": ids},
                              follow=True)
    assert "Verify queued for 3 client(s); each client&#x27;s page shows the outcome." in page.content.decode()
    queued = ClientAction.objects.filter(kind="verify", status="queued").values_list("client", flat=True)
    assert sorted(queued) == sorted(ids)
    page = admin_browser.post(reverse(CHANGELIST), {"action": "verify_connections", "_selected_action": ids},
                              follow=True)
    assert "Verify was already waiting or running for 3 client(s); not queued twice." in page.content.decode()
    assert queue_held.call_count == 3


@pytest.mark.django_db
def test_pause_and_resume_say_what_they_did(admin_browser, client_company, queue_held):
    page = admin_browser.post(reverse(CHANGELIST), {"action": "pause_clients", "_selected_action": [client_company.pk]},
                              follow=True)
    assert "1 client(s) paused: their exports and syncs stop until resumed." in page.content.decode()
    page = admin_browser.post(reverse(CHANGELIST),
                              {"action": "resume_clients", "_selected_action": [client_company.pk]}, follow=True)
    assert "1 client(s) resumed." in page.content.decode()
