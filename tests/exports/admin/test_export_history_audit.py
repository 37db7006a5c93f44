"""The export history as an auditor reads it: one record on one screen, runs with their records and who started
them, the list across clients filtered and downloaded exactly, and nothing in it editable or deletable."""
import html as html_lib
import re

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from exports.item_types import TYPE_LABELS
from exports.models import ExportAttempt, ExportRecord, ExportRun
from integrations.formats import money
from tests.exports.admin.test_export_record_admin import CHANGELIST, CSV, changelist_rows, csv_rows

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out

RECORD = "admin:exports_exportrecord_change"
RUN = "admin:exports_exportrun_change"


def field(body: str, name: str) -> str:
    """The visible text of one admin field or inline cell (`field-<name>`), whitespace squeezed."""
    match = re.search(rf'class="[^"]*field-{name}\b[^"]*">(.*?)</(?:td|div)>\s*(?:</div>|<td|</tr>)', body, re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def page_text(response) -> str:
    """The visible text of the record page's #export-record block, tags stripped."""
    body = response.content.decode()
    start = body.index('id="export-record"')
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body[start:])))


@pytest.mark.django_db
def test_record_page_shows_expense_odoo_record_values_sent_and_every_attempt_on_one_screen(
        admin_browser, exported, export_client):
    record = (ExportRecord.objects.filter(client=export_client, status="exported")
              .exclude(spender="").exclude(description="").order_by("pk").first()
              or ExportRecord.objects.filter(client=export_client, status="exported").first())
    line = record.pleo_payload["accountingEntryLines"][0]
    response = admin_browser.get(reverse(RECORD, args=[record.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    text = page_text(response)
    # The Pleo expense
    kind = TYPE_LABELS[record.kind]
    for fact in (record.supplier, record.spender, record.description, f"Kind: {kind[:1].upper()}{kind[1:]}",
                 record.pleo_accounting_entry_id, record.pleo_job_id,
                 # page_text squeezes the no-break space between symbol and amount like any other space
                 f"Amount: {money(record.amount, record.currency)}".replace("\xa0", " "),
                 f"VAT: {money(record.vat_amount, record.currency)}".replace("\xa0", " "), line["account"]["name"]):
        assert fact in text, fact
    for tag in line.get("tags") or []:
        assert f"{tag['groupCode']}: {tag['code']}" in text
    assert re.search(r"Receipts: 0 \( the expense in Pleo \)", text)
    assert f'href="{record.pleo_payload["_links"]["web"]["exportItem"]}"' in body
    # The Odoo record, with a link opening it in Odoo
    for fact in ("account.move", record.odoo_name, record.odoo_state, record.odoo_reference):
        assert fact in text
    assert record.booked_date.strftime("%-d %B %Y").lstrip("0") in text or str(record.booked_date) in text
    assert f'href="{html_lib.escape(record.odoo_url)}"' in body and "/web#id=" in record.odoo_url
    # The values sent, pretty-printed in monospace
    values = re.search(r'<pre class="export-json"[^>]*monospace[^>]*>(.*?)</pre>', body, re.S).group(1)
    assert '\n  &quot;journal_id&quot;: ' in values and record.odoo_reference in values
    # Every attempt with its run and who started it; what Pleo was told
    attempt = record.attempt_log.get()
    assert attempt.message in text and field(body, "display_triggered_by") == "test"
    assert reverse(RUN, args=[attempt.export_run_id]) in body
    assert "started by test" in field(body, "display_last_run")
    assert "What Pleo was told" in text and record.reported_to_pleo_at is not None


@pytest.mark.django_db
def test_failed_record_page_says_what_pleo_was_told_and_why(admin_browser, exported, export_client):
    record = ExportRecord.objects.filter(client=export_client, status="failed").first()
    text = page_text(admin_browser.get(reverse(RECORD, args=[record.pk])))
    assert record.last_error in text
    assert "Tax code not mapped" in text  # failure_reason_type tax_code_unknown, in words
    assert record.reported_to_pleo_at is not None


@pytest.mark.django_db
def test_run_page_lists_its_records_and_who_started_it(admin_browser, exported, export_client):
    run = ExportRun.objects.get(client=export_client)
    body = admin_browser.get(reverse(RUN, args=[run.pk])).content.decode()
    assert field(body, "triggered_by") == "Started by: test"
    for record in ExportRecord.objects.filter(client=export_client):
        assert reverse(RECORD, args=[record.pk]) in body
    link = reverse(CHANGELIST) + f"?run={run.pk}"
    assert link in body
    assert changelist_rows(admin_browser.get(link)) == set(
        ExportRecord.objects.filter(client=export_client).values_list("pk", flat=True))


@pytest.mark.both_databases
@pytest.mark.django_db
def test_run_filter_finds_the_records_a_run_tried_even_after_a_later_run(admin_browser, exported, export_client,
                                                                         other_client_record):
    first_run = ExportRun.objects.get(client=export_client)
    failed = ExportRecord.objects.filter(client=export_client, status="failed").first()
    later = ExportRun.objects.create(client=export_client, status="succeeded", triggered_by="retry by admin")
    ExportAttempt.objects.create(record=failed, export_run=later, outcome="failed", message="Tried again")
    ExportRecord.objects.filter(pk=failed.pk).update(export_run=later)
    assert failed.pk in changelist_rows(admin_browser.get(reverse(CHANGELIST), {"run": first_run.pk}))
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"run": later.pk})) == {failed.pk}
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"run": "not-a-run"})) == set()
    text = page_text(admin_browser.get(reverse(RECORD, args=[failed.pk])))
    assert "retry by admin" in text and "Tried again" in text


@pytest.mark.both_databases
@pytest.mark.django_db
def test_failure_type_filter_and_search_by_odoo_reference_and_pleo_entry(admin_browser, exported, export_client,
                                                                        other_client_record):
    failed = set(ExportRecord.objects.filter(client=export_client, failure_reason_type="tax_code_unknown")
                 .values_list("pk", flat=True))
    assert failed
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST),
                                             {"failure_reason_type": "tax_code_unknown"})) == failed
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"failure_reason_type": "vendor_unknown"})) == set()
    exported_record = ExportRecord.objects.filter(client=export_client, status="exported").first()
    for term in (exported_record.odoo_reference, exported_record.odoo_name, exported_record.pleo_accounting_entry_id):
        assert exported_record.pk in changelist_rows(admin_browser.get(reverse(CHANGELIST), {"q": term})), term


@pytest.mark.both_databases
@pytest.mark.django_db
def test_csv_holds_exactly_the_rows_of_a_list_filtered_twice_and_searched(admin_browser, exported, export_client,
                                                                        other_client_record):
    sample = ExportRecord.objects.filter(client=export_client, status="exported").exclude(supplier="").first()
    query = {"client__id__exact": export_client.pk, "status__exact": "exported", "q": sample.supplier.split()[0]}
    page = admin_browser.get(reverse(CHANGELIST), query)
    shown = list(page.context_data["cl"].result_list)
    assert sample in shown and len(shown) < ExportRecord.objects.count()
    rows = csv_rows(admin_browser.get(page.context_data["csv_url"]))
    assert [row["Pleo accounting entry"] for row in rows] == [r.pleo_accounting_entry_id for r in shown]
    assert [(row["Status"], row["Client"], row["Odoo number"]) for row in rows] \
        == [(r.get_status_display(), r.client.name, r.odoo_name) for r in shown]


@pytest.mark.django_db
def test_staff_member_filtering_by_another_clients_run_sees_nothing(staff_browser, exported, other_client_record):
    other_run = other_client_record.export_run
    page = staff_browser.get(reverse(CHANGELIST), {"run": other_run.pk})
    assert changelist_rows(page) == set() and "Other Client BV" not in page.content.decode()
    assert csv_rows(staff_browser.get(reverse(CSV), {"run": other_run.pk})) == []
    page = staff_browser.get(reverse(CHANGELIST))
    assert f"?run={other_run.pk}" not in page.content.decode()  # not offered in the run filter
    page = staff_browser.get(reverse(RECORD, args=[other_client_record.pk]), follow=True)
    assert 'id="export-record"' not in page.content.decode()


# Append-only ----------------------------------------------------------------------------------------

@pytest.fixture
def history_rows(exported, export_client):
    record = ExportRecord.objects.filter(client=export_client).first()
    return {"exportrecord": record, "exportrun": record.export_run}


def _unchanged(history_rows) -> bool:
    record, run = history_rows["exportrecord"], history_rows["exportrun"]
    return (ExportRecord.objects.filter(pk=record.pk, supplier=record.supplier, status=record.status,
                                        last_error=record.last_error).exists()
            and ExportRun.objects.filter(pk=run.pk, status=run.status, triggered_by=run.triggered_by).exists()
            and ExportAttempt.objects.filter(record=record).count() == record.attempt_log.count() > 0)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["exportrecord", "exportrun"])
def test_superuser_has_no_add_change_or_delete_permission_on_the_history(rf, superuser, model, history_rows):
    model_admin = admin.site._registry[type(history_rows[model])]
    request = rf.get("/")
    request.user = superuser
    obj = history_rows[model]
    assert model_admin.has_view_permission(request, obj)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert "delete_selected" not in model_admin.get_actions(request)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["exportrecord", "exportrun"])
def test_posts_to_add_change_and_delete_urls_are_refused(admin_browser, model, history_rows):
    pk = history_rows[model].pk
    assert admin_browser.get(reverse(f"admin:exports_{model}_change", args=[pk])).status_code == 200  # reading stays
    refused = [
        admin_browser.get(reverse(f"admin:exports_{model}_add")),
        admin_browser.post(reverse(f"admin:exports_{model}_add"), {"status": "exported", "triggered_by": "me"}),
        admin_browser.post(reverse(f"admin:exports_{model}_change", args=[pk]),
                           {"supplier": "Changed", "status": "exported", "triggered_by": "me", "_save": "Save"}),
        admin_browser.get(reverse(f"admin:exports_{model}_delete", args=[pk])),
        admin_browser.post(reverse(f"admin:exports_{model}_delete", args=[pk]), {"post": "yes"}),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    admin_browser.post(reverse(f"admin:exports_{model}_changelist"),
                       {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert _unchanged(history_rows)


@pytest.mark.django_db
def test_attempts_have_no_admin_pages_of_their_own_and_inlines_offer_no_editing(admin_browser, history_rows):
    assert ExportAttempt not in admin.site._registry
    with pytest.raises(NoReverseMatch):
        reverse("admin:exports_exportattempt_changelist")
    record = history_rows["exportrecord"]
    body = admin_browser.get(reverse(RECORD, args=[record.pk])).content.decode()
    assert 'name="_save"' not in body and 'name="_continue"' not in body and "deletelink" not in body
    assert 'name="attempt_log-0-message"' not in body and 'name="supplier"' not in body
    response = admin_browser.post(reverse(RECORD, args=[record.pk]), {
        "attempt_log-TOTAL_FORMS": "1", "attempt_log-INITIAL_FORMS": "0", "attempt_log-0-message": "forged",
        "attempt_log-0-outcome": "exported"})
    assert response.status_code == 403 and _unchanged(history_rows)
