"""The export history in the admin as bookkeepers use it after a real export: read-only, scoped to the
user's clients, filtered, searched, downloaded as CSV, retried."""
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from exports.item_types import TYPE_LABELS
from exports.models import ExportRecord, ExportRun
from exports.selectors import export_record_csv_header
from integrations.formats import money, money_html
from integrations.pleo.contract import currency_decimals, money_to_decimal
from mappings.models import TaxMapping
from sandbox.pleo.models import ExportJob, TaxCode
from tests.exports.admin.test_failures_by_cause import text

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out

CHANGELIST = "admin:exports_exportrecord_changelist"
CSV = "admin:exports_exportrecord_csv"


def changelist_rows(response) -> set[int]:
    return {record.pk for record in response.context_data["cl"].queryset}


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == export_record_csv_header()
    return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_history_pages_render_after_a_real_export(request, who, exported, export_client):
    browser = request.getfixturevalue("admin_browser" if who == "superuser" else "staff_browser")
    records = ExportRecord.objects.filter(client=export_client)
    page = browser.get(reverse(CHANGELIST))
    assert page.status_code == 200
    html = page.content.decode()
    assert changelist_rows(page) == set(records.values_list("pk", flat=True))
    assert "Download CSV of this list" in html and "Preview pending exports" in html
    exported_record = records.filter(status="exported").first()
    page = browser.get(reverse("admin:exports_exportrecord_change", args=[exported_record.pk]))
    assert page.status_code == 200 and exported_record.odoo_name in page.content.decode()
    run = ExportRun.objects.get(client=export_client)
    assert browser.get(reverse("admin:exports_exportrun_changelist")).status_code == 200
    page = browser.get(reverse("admin:exports_exportrun_change", args=[run.pk]))
    assert page.status_code == 200 and run.pleo_job_id in page.content.decode()


@pytest.mark.django_db
def test_staff_member_does_not_see_another_clients_records_or_runs(staff_browser, exported, other_client_record):
    other_run = other_client_record.export_run
    page = staff_browser.get(reverse(CHANGELIST))
    assert other_client_record.pk not in changelist_rows(page)
    assert "Secret Supplier of Other" not in page.content.decode()
    page = staff_browser.get(reverse(CHANGELIST), {"client__id__exact": other_client_record.client_id})
    assert not changelist_rows(page)
    for url in (reverse("admin:exports_exportrecord_change", args=[other_client_record.pk]),
                reverse("admin:exports_exportrun_change", args=[other_run.pk])):
        page = staff_browser.get(url, follow=True)
        assert "Secret Supplier of Other" not in page.content.decode() and "job-of-other" not in page.content.decode()
        assert page.redirect_chain or page.status_code == 404
    page = staff_browser.get(reverse("admin:exports_exportrun_changelist"))
    assert "job-of-other" not in page.content.decode()
    rows = csv_rows(staff_browser.get(reverse(CSV)))
    assert rows and all(row["Client"] != "Other Client BV" for row in rows)
    rows = csv_rows(staff_browser.get(reverse(CSV), {"client__id__exact": other_client_record.client_id}))
    assert rows == []
    assert staff_browser.get(reverse("admin:exports_exportrecord_preview",
                                     args=[other_client_record.client_id])).status_code == 404
    page = staff_browser.get(reverse("admin:exports_exportrecord_preview_choose"))
    assert "Other Client BV" not in page.content.decode()


@pytest.mark.django_db
def test_superuser_sees_every_clients_history(admin_browser, exported, other_client_record):
    page = admin_browser.get(reverse(CHANGELIST))
    assert other_client_record.pk in changelist_rows(page)


@pytest.mark.django_db
def test_record_page_shows_both_payloads_and_every_attempt(admin_browser, exported, export_client):
    record = ExportRecord.objects.filter(client=export_client, status="exported").first()
    record.attempt_log.create(export_run=record.export_run, outcome="failed", message="An earlier try that failed")
    html = admin_browser.get(reverse("admin:exports_exportrecord_change", args=[record.pk])).content.decode()
    assert "Pleo payload" in html and "Values sent to Odoo" in html
    assert record.pleo_accounting_entry_id in html and f"&quot;ref&quot;: &quot;{record.odoo_reference}&quot;" in html
    assert f"&quot;journal_id&quot;: {record.odoo_values['journal_id']}" in html
    for attempt in record.attempt_log.all():
        assert attempt.message.replace("'", "&#x27;") in html
    assert "An earlier try that failed" in html


@pytest.mark.django_db
def test_nothing_can_be_added_changed_or_deleted(admin_browser, exported, export_client):
    record = ExportRecord.objects.filter(client=export_client).first()
    run = ExportRun.objects.get(client=export_client)
    html = admin_browser.get(reverse(CHANGELIST)).content.decode()
    assert reverse("admin:exports_exportrecord_add") not in html
    assert admin_browser.get(reverse("admin:exports_exportrecord_add")).status_code == 403
    response = admin_browser.post(reverse("admin:exports_exportrecord_change", args=[record.pk]),
                                  {"supplier": "Changed", "status": "exported"})
    assert response.status_code == 403
    assert admin_browser.post(reverse("admin:exports_exportrecord_delete", args=[record.pk]),
                              {"post": "yes"}).status_code == 403
    assert admin_browser.post(reverse("admin:exports_exportrun_delete", args=[run.pk]),
                              {"post": "yes"}).status_code == 403
    response = admin_browser.post(reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [record.pk],
                                                        "post": "yes"})
    assert ExportRecord.objects.filter(pk=record.pk, supplier=record.supplier, status=record.status).exists()
    assert ExportRun.objects.filter(pk=run.pk).exists()


@pytest.mark.both_databases
@pytest.mark.django_db
def test_filters_and_search_by_supplier_and_exact_amount(admin_browser, exported, export_client, other_client_record):
    records = ExportRecord.objects.filter(client=export_client)
    failed = set(records.filter(status="failed").values_list("pk", flat=True))
    assert failed and failed != set(records.values_list("pk", flat=True))
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"status__exact": "failed"})) \
        == failed | {other_client_record.pk}
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"kind__exact": "out_of_pocket"})) \
        == set(records.filter(kind="out_of_pocket").values_list("pk", flat=True)) != set()
    assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"client__id__exact": export_client.pk})) \
        == set(records.values_list("pk", flat=True))
    in_range = set(ExportRecord.objects.filter(entry_date__gte="2025-03-10", entry_date__lt="2025-03-20")
                   .values_list("pk", flat=True))
    assert in_range and changelist_rows(admin_browser.get(
        reverse(CHANGELIST), {"entry_date__gte": "2025-03-10", "entry_date__lt": "2025-03-20"})) == in_range
    one = records.exclude(supplier="").first()
    by_supplier = changelist_rows(admin_browser.get(reverse(CHANGELIST), {"q": one.supplier.split()[0]}))
    assert one.pk in by_supplier and other_client_record.pk not in by_supplier
    by_amount = changelist_rows(admin_browser.get(reverse(CHANGELIST), {"q": str(one.amount.normalize())}))
    assert by_amount == set(ExportRecord.objects.filter(amount=one.amount).values_list("pk", flat=True))
    for written in ("77.70", "77.7", "77,70"):
        assert changelist_rows(admin_browser.get(reverse(CHANGELIST), {"q": written})) == {other_client_record.pk}
    # An exact amount: 77 is not 77.70, and 7.7 is not found inside it.
    for written in ("77", "7.7"):
        assert other_client_record.pk not in changelist_rows(admin_browser.get(reverse(CHANGELIST), {"q": written}))


@pytest.mark.both_databases
@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    {},
    {"status__exact": "failed"},
    {"status__exact": "exported", "kind__exact": "card_purchase"},
    {"entry_date__gte": "2025-03-10", "entry_date__lt": "2025-03-20"},
    {"q": "Office"},
])
def test_csv_download_holds_exactly_the_filtered_rows(admin_browser, exported, other_client_record, query):
    page = admin_browser.get(reverse(CHANGELIST), query)
    expected = page.context_data["cl"].queryset
    assert f'href="{page.context_data["csv_url"]}"'.replace("&", "&amp;") in page.content.decode()
    response = admin_browser.get(reverse(CSV), query)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert sorted(r["Pleo accounting entry"] for r in rows) \
        == sorted(expected.values_list("pleo_accounting_entry_id", flat=True))
    by_entry = {r["Pleo accounting entry"]: r for r in rows}
    for record in expected:
        row = by_entry[record.pleo_accounting_entry_id]
        assert (row["Status"], row["Supplier"], row["Client"]) \
            == (record.get_status_display(), record.supplier, record.client.name)
        assert Decimal(row["Amount"]) == record.amount


@pytest.mark.django_db
def test_pages_and_csv_never_show_the_clients_odoo_api_key_or_pleo_token(admin_browser, exported, export_client,
                                                                      fake_odoo, fake_pleo):
    secrets = [fake_odoo.api_key, fake_pleo.token]
    record = ExportRecord.objects.filter(client=export_client, status="exported").first()
    run = ExportRun.objects.get(client=export_client)
    bodies = [admin_browser.get(url).content for url in (
        reverse(CHANGELIST),
        reverse("admin:exports_exportrecord_change", args=[record.pk]),
        reverse("admin:exports_exportrun_changelist"),
        reverse("admin:exports_exportrun_change", args=[run.pk]),
        reverse("admin:exports_exportrecord_preview", args=[export_client.pk]),
    )]
    bodies.append(b"".join(admin_browser.get(reverse(CSV)).streaming_content))
    for body in bodies:
        text = body.decode()
        assert all(secret not in text for secret in secrets)


@pytest.mark.django_db
def test_retry_of_a_failed_record_books_it_once_its_tax_is_mapped(admin_browser, exported, export_client,
                                                                 fake_pleo, odoo_admin):
    record = ExportRecord.objects.filter(client=export_client, status="failed").first()
    assert "tax code “I0”" in record.last_error
    zero = TaxCode.objects.get(company=fake_pleo.company, code="I0")
    tax_id = odoo_admin.create("account.tax", {"name": "0% purchases", "amount": 0, "amount_type": "percent",
                                               "type_tax_use": "purchase", "price_include": False, "company_id": 1})
    TaxMapping.objects.create(client=export_client, odoo_tax_id=tax_id, odoo_tax_name="0% purchases",
                              pleo_tax_code_id=str(zero.uuid), pleo_tax_code="I0", pleo_rate=zero.rate,
                              pleo_type="inclusive")
    jobs_before = ExportJob.objects.filter(company=fake_pleo.company).count()

    page = admin_browser.post(reverse(CHANGELIST), {"action": "retry_selected", "_selected_action": [record.pk]},
                              follow=True)

    assert "sent back to Pleo" in page.content.decode()
    assert ExportJob.objects.filter(company=fake_pleo.company).count() == jobs_before + 1
    retry_job = ExportJob.objects.filter(company=fake_pleo.company).order_by("-pk").first()
    assert [str(item.export_item.uuid) for item in retry_job.items.select_related("export_item")] \
        == [record.pleo_accounting_entry_id]
    record.refresh_from_db()
    assert record.status == "exported", record.last_error
    assert record.odoo_record_id and record.attempts == 2 and record.failure_detail == {}
    assert [a.outcome for a in record.attempt_log.all()] == ["failed", "exported"]
    retry_job.refresh_from_db()
    assert retry_job.status == "completed"
    assert ExportRun.objects.filter(client=export_client, pleo_job_id=str(retry_job.uuid),
                                    triggered_by="retry by admin").exists()
    body = admin_browser.get(reverse("admin:exports_exportrecord_change", args=[record.pk])).content.decode()
    assert "started by retry by admin" in body and "<p>test</p>" in body  # both attempts, who started each


# Failures fixed where they show ---------------------------------------------------------------------------

NEWEST_ODOO = pytest.mark.parametrize("fake_odoo", [19], indirect=True)  # screens: the Odoo version does not matter


def _tax_code_failures(export_client) -> list[ExportRecord]:
    records = list(ExportRecord.objects.filter(client=export_client, status="failed",
                                               last_error__contains="tax code “I0”"))
    assert records
    return records


@NEWEST_ODOO
@pytest.mark.django_db
def test_a_tax_code_failure_keeps_what_is_missing_for_its_link(exported, export_client, fake_pleo):
    zero = TaxCode.objects.get(company=fake_pleo.company, code="I0")
    for record in _tax_code_failures(export_client):
        assert record.failure_detail == {"fix": "tax_code", "code_id": str(zero.uuid), "code": "I0", "rate": "0"}


@NEWEST_ODOO
@pytest.mark.django_db
def test_retry_all_of_one_cause_queues_exactly_its_records(admin_browser, exported, export_client, fake_pleo,
                                                           queue_held):
    failed = _tax_code_failures(export_client)
    failures_url = reverse("admin:exports_exportrecord_failures") + f"?client__id__exact={export_client.pk}"
    body = admin_browser.get(failures_url).content.decode()
    row = next(row for row in body.split('<tr class="failure-cause">')[1:] if "“I0”" in row)
    assert f"{len(failed)} × Pleo tax code “I0” (0 %) is not mapped to an Odoo tax." in text(row)
    assert ">Map tax code I0</a>" in row and f"Retry all {len(failed)}" in row
    ids = re.search(r'name="records" value="([^"]*)"', row).group(1)
    jobs_before = ExportJob.objects.filter(company=fake_pleo.company).count()

    page = admin_browser.post(reverse("admin:exports_exportrecord_failures_retry"),
                              {"records": ids, "next": failures_url}, follow=True)

    assert page.redirect_chain[-1][0] == failures_url
    what = "1 failed record" if len(failed) == 1 else f"{len(failed)} failed records"
    assert [str(m) for m in page.context["messages"]] == [
        f"{what} queued for export again: sent back to Pleo's export queue, and the client's export has been started."]
    assert ExportJob.objects.filter(company=fake_pleo.company).count() == jobs_before + 1
    retry_job = ExportJob.objects.filter(company=fake_pleo.company).order_by("-pk").first()
    assert sorted(str(item.export_item.uuid) for item in retry_job.items.select_related("export_item")) \
        == sorted(record.pleo_accounting_entry_id for record in failed)
    assert set(ExportRecord.objects.filter(pk__in=[r.pk for r in failed]).values_list("status", flat=True)) \
        == {"pending"}
    assert queue_held.call_count == 1
    assert queue_held.call_args.args == ("exports.tasks.export_queue_poll", export_client.pk, "retry by admin")


@NEWEST_ODOO
@pytest.mark.django_db
def test_the_record_page_retries_its_failed_record(admin_browser, exported, export_client, fake_pleo, queue_held):
    record = _tax_code_failures(export_client)[0]
    page_url = reverse("admin:exports_exportrecord_change", args=[record.pk])
    body = admin_browser.get(page_url).content.decode()
    retry_url = reverse("admin:exports_exportrecord_retry", args=[record.pk])
    assert f'action="{retry_url}"' in body and ">Map tax code I0</a>" in body

    page = admin_browser.post(retry_url, follow=True)

    assert page.redirect_chain[-1][0] == page_url
    assert [str(m) for m in page.context["messages"]] == [
        "1 failed record queued for export again: sent back to Pleo's export queue, and the client's export has been "
        "started."]
    retry_job = ExportJob.objects.filter(company=fake_pleo.company).order_by("-pk").first()
    assert [str(item.export_item.uuid) for item in retry_job.items.select_related("export_item")] \
        == [record.pleo_accounting_entry_id]
    record.refresh_from_db()
    assert record.status == "pending" and queue_held.call_count == 1
    # Nothing to retry once it is no longer failed: said, and nothing sent to Pleo.
    page = admin_browser.post(retry_url, follow=True)
    assert "nothing to retry" in str(list(page.context["messages"])[0])
    assert ExportJob.objects.filter(company=fake_pleo.company).order_by("-pk").first() == retry_job


@NEWEST_ODOO
@pytest.mark.django_db
def test_the_csv_reads_back_with_two_decimals_iso_dates_and_times_with_their_offset(admin_browser, exported,
                                                                                   export_client):
    rows = csv_rows(admin_browser.get(reverse(CSV)))
    records = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(client=export_client)}
    assert len(rows) == len(records)
    zone = ZoneInfo("Europe/Amsterdam")
    for row in rows:
        record = records[row["Pleo accounting entry"]]
        assert re.fullmatch(r"-?\d+\.\d\d", row["Amount"]) and Decimal(row["Amount"]) == record.amount
        assert row["VAT"] == "" or re.fullmatch(r"-?\d+\.\d\d", row["VAT"])
        assert date.fromisoformat(row["Date"]) == record.entry_date
        for column, value in (("Last change (Europe/Amsterdam)", record.updated_at),
                              ("Reported to Pleo (Europe/Amsterdam)", record.reported_to_pleo_at)):
            written = datetime.fromisoformat(row[column])
            assert written.utcoffset() == value.astimezone(zone).utcoffset() and written.microsecond == 0
            assert written == value.replace(microsecond=0)
        assert row["Kind"] == TYPE_LABELS[record.kind] and row["Status"] == record.get_status_display()
    failed = next(row for row in rows if "tax code “I0”" in row["Reason"])
    assert failed["Failure type (Pleo)"] == "Tax code not mapped" and failed["What to fix"] == "Map tax code I0"
    assert failed["Where to fix it"].startswith("http://testserver/admin/mappings/")
    foreign = [row for row in rows if row["Supplier's currency"]]
    assert foreign  # the USD purchase
    for row in foreign:
        paid = records[row["Pleo accounting entry"]].pleo_payload["amount"]["inSupplierCurrency"]
        assert (row["Supplier's currency"], Decimal(row["Amount in the supplier's currency"])) \
            == (paid["currency"], money_to_decimal(paid)) != (row["Currency"], Decimal(row["Amount"]))
        assert re.fullmatch(r"\d+\.\d{%d}" % currency_decimals(paid["currency"]),
                            row["Amount in the supplier's currency"])
    assert all(row["Amount in the supplier's currency"] == "" for row in rows if row not in foreign)


@NEWEST_ODOO
@pytest.mark.django_db
def test_the_list_shows_amounts_in_the_firms_format_kinds_by_label_newest_expense_first(admin_browser, exported,
                                                                                       export_client):
    page = admin_browser.get(reverse(CHANGELIST))
    body = page.content.decode()
    shown = list(page.context_data["cl"].result_list)
    assert [(r.entry_date, r.pk) for r in shown] == sorted(((r.entry_date, r.pk) for r in shown), reverse=True)
    for record in shown:
        assert f'<span class="money">{money(record.amount, record.currency)}</span>' in body
        assert re.fullmatch(r"€\xa0-?\d{1,3}(\.\d{3})*,\d\d", money(record.amount, record.currency))
    # A purchase in another currency: what the supplier charged under what left the Wallet.
    [foreign] = [r for r in shown if r.pleo_payload["amount"]["inSupplierCurrency"]["currency"] != r.currency]
    paid = foreign.pleo_payload["amount"]["inSupplierCurrency"]
    assert f"{money_html(foreign.amount, 'EUR')}{money_html(money_to_decimal(paid), paid['currency'])}" in body
    assert "US$\xa0" in money(money_to_decimal(paid), paid["currency"])
    filters = body[body.index('id="changelist-filter"'):]
    assert ">Out-of-pocket expense</a>" in filters and ">ATM withdrawal</a>" in filters
    assert "atm_withdrawal</a>" not in filters and "out_of_pocket</a>" not in filters
    assert ">Tax code not mapped</a>" in filters and "Tax code unknown" not in filters
