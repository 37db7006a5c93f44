"""The drift check finds what a bookkeeper changed in Odoo after the export, in a fixed number of calls,
and the records it marks are booked again from the export history in one action."""
import pytest
from django.urls import reverse

from exports.drift import export_records_drift_check
from exports.models import ExportRecord
from exports.services import export_queue_poll
from integrations.odoo.client import OdooClient
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def exported(export_client, fake_pleo, count):
    items = export_items_generate(company=fake_pleo.company, count=count, seed=9, kinds=["card_purchase"],
                                  with_receipts=False)
    export_job_create(company=fake_pleo.company, items=items)
    export_queue_poll(client_id=export_client.pk)
    entries = [str(item.uuid) for item in items]
    records = list(ExportRecord.objects.filter(client=export_client, status="exported",
                                               pleo_accounting_entry_id__in=entries).order_by("odoo_record_id"))
    assert len(records) == count
    return items, records


@pytest.fixture
def odoo_calls(monkeypatch):
    calls = []
    real = OdooClient._call

    def counted(self, service, method, *args):
        calls.append((service, method, args[3:5] if service == "object" else ()))
        return real(self, service, method, *args)

    monkeypatch.setattr(OdooClient, "_call", counted)
    return calls


def test_each_kind_of_change_in_odoo_is_found_and_an_untouched_entry_is_not(export_client, fake_pleo, odoo_admin):
    # The last entry booked is the one deleted: Odoo deletes no entry whose number is followed by others.
    _, (cancelled, reset, edited, untouched, deleted) = exported(export_client, fake_pleo, 5)
    odoo_admin.execute_kw("account.move", "button_draft", [[r.odoo_record_id for r in (cancelled, deleted, reset,
                                                                                          edited)]])
    odoo_admin.execute_kw("account.move", "button_cancel", [[cancelled.odoo_record_id]])
    odoo_admin.execute_kw("account.move", "unlink", [[deleted.odoo_record_id]])
    lines = odoo_admin.search_read("account.move.line", [["move_id", "=", edited.odoo_record_id]], ["debit", "credit",
                                                                                                    "tax_line_id"])
    expense = next(line for line in lines if line["debit"] and not line["tax_line_id"])
    counter = next(line for line in lines if line["credit"])
    odoo_admin.write("account.move", [edited.odoo_record_id], {"line_ids": [
        [1, expense["id"], {"debit": expense["debit"] + 5}], [1, counter["id"], {"credit": counter["credit"] + 5}]]})
    odoo_admin.execute_kw("account.move", "action_post", [[edited.odoo_record_id]])

    result = export_records_drift_check(client_id=export_client.pk)

    assert (result.checked, result.drifted) == (5, 4)
    drift = dict(ExportRecord.objects.filter(client=export_client).values_list("pk", "odoo_drift"))
    assert [drift[r.pk] for r in (cancelled, deleted, reset, edited, untouched)] == [
        "cancelled", "deleted", "draft", "amount", ""]


def test_the_check_reads_odoo_in_the_same_few_calls_for_a_few_records_or_many(export_client, fake_pleo, odoo_calls):
    exported(export_client, fake_pleo, 3)
    odoo_calls.clear()
    export_records_drift_check(client_id=export_client.pk)
    few = len(odoo_calls)
    exported(export_client, fake_pleo, 12)
    odoo_calls.clear()
    result = export_records_drift_check(client_id=export_client.pk)
    assert result.checked == 15 and len(odoo_calls) == few <= 2  # (a login, and) one read per 500 records


def test_a_record_found_cancelled_is_booked_again_from_the_export_history_in_one_action(
        export_client, fake_pleo, odoo_admin, client, superuser):
    _, [record] = exported(export_client, fake_pleo, 1)
    odoo_admin.execute_kw("account.move", "button_draft", [[record.odoo_record_id]])
    odoo_admin.execute_kw("account.move", "button_cancel", [[record.odoo_record_id]])
    export_records_drift_check(client_id=export_client.pk)
    client.force_login(superuser)
    changelist = reverse("admin:exports_exportrecord_changelist")
    listed = client.get(changelist, {"odoo_drift__exact": "cancelled"})
    assert [r.pk for r in listed.context_data["cl"].queryset] == [record.pk]
    assert "Cancelled in Odoo (found" in listed.content.decode()

    page = client.post(changelist, {"action": "book_again_selected", "_selected_action": [record.pk]}, follow=True)

    assert "1 record(s) changed in Odoo sent back to Pleo" in page.content.decode()
    record.refresh_from_db()
    assert record.status == "exported" and record.odoo_drift == ""
    [live] = odoo_admin.search_read("account.move", [["ref", "=", record.odoo_reference], ["state", "=", "posted"]],
                                    ["name"])
    assert record.odoo_record_id == live["id"] and record.odoo_name == live["name"]


def test_check_odoo_for_changes_on_the_client_page_runs_the_check_and_says_what_it_found(
        export_client, fake_pleo, odoo_admin, client, superuser):
    _, [record, _] = exported(export_client, fake_pleo, 2)
    odoo_admin.execute_kw("account.move", "button_draft", [[record.odoo_record_id]])
    client.force_login(superuser)

    page = client.post(reverse("admin:integrations_client_action", args=[export_client.pk]), {"kind": "drift"},
                       follow=True)

    html = page.content.decode()
    listed = html[html.index('id="client-actions"'):]
    assert "Check Odoo for changes" in html
    assert "Read back 2 exported records from Odoo: 1 changed there since" in listed
    assert ExportRecord.objects.get(pk=record.pk).odoo_drift == "draft"


def test_the_dashboard_counts_a_clients_records_changed_in_odoo_as_needing_attention(
        export_client, fake_pleo, odoo_admin, client, superuser):
    _, records = exported(export_client, fake_pleo, 3)
    for record in records[:2]:
        odoo_admin.execute_kw("account.move", "button_draft", [[record.odoo_record_id]])
    export_records_drift_check(client_id=export_client.pk)
    client.force_login(superuser)

    page = client.get(reverse("admin:index"))

    html = page.content.decode()
    assert '<strong data-total="changed-in-odoo">2</strong>' in html
    assert "2 exported records were changed in Odoo since" in html
    listed = client.get(reverse("admin:exports_exportrecord_changelist"), {"odoo_drift__gt": ""})
    assert {r.pk for r in listed.context_data["cl"].queryset} == {r.pk for r in records[:2]}
