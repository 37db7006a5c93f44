"""Failures grouped by cause, as a bookkeeper fixes them: one row per missing mapping or setting with how many
expenses it stopped, the link to where it is fixed and a retry of exactly those; each reason in the list with its
fix; and only the user's own clients."""
import html as html_lib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from exports.failures import FAILURE_TYPE_LABELS, export_failure_causes
from exports.models import ExportRecord
from integrations.pleo.contract import ITEM_FAILURE_REASON_TYPES
from mappings.fixes import failure_fix
from tests.factories import ClientFactory

FAILURES = "admin:exports_exportrecord_failures"
CHANGELIST = "admin:exports_exportrecord_changelist"
TAX_REASON = ("Pleo tax code “I0” (0 %) is not mapped to an Odoo tax. Choose its Odoo tax under Mappings → Tax codes "
              "made in Pleo, then retry the record.")
TAX_DETAIL = {"fix": "tax_code", "code_id": "5b2c0a4e-0000-4000-8000-000000000010", "code": "I0", "rate": "0"}
MEALS_REASON = ("Category “Meals” (7200) is not mapped to an Odoo account. Map it under Mappings → Category "
                "mappings, then retry the record.")
MEALS_DETAIL = {"fix": "category", "account_id": "5b2c0a4e-0000-4000-8000-000000000020", "name": "Meals"}
UNREACHABLE = "Odoo could not be reached in 3 runs. Retry these expenses from the export history once Odoo works."


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def causes_html(body: str) -> str:
    start = body.index('id="failure-causes"')
    return body[start:body.index("</table>", start)]


def _failed(client, n, reason, reason_type, detail, **facts):
    return ExportRecord.objects.create(
        client=client, pleo_accounting_entry_id=f"{client.pk}-{reason_type}-{n}", kind="card_purchase",
        entry_date=date(2026, 11, 1) + timedelta(days=n), supplier=f"Supplier {n}", amount=Decimal("12.10"),
        currency="EUR", status="failed", last_error=reason, failure_reason_type=reason_type, failure_detail=detail,
        attempts=1, **facts)


@pytest.fixture
def failures(db):
    """Client A's 17 expenses stopped by tax code I0, 2 by the category Meals, 1 by Odoo being down; one booked;
    and another client's failure."""
    client = ClientFactory(name="Bakkerij Jansen BV")
    tax = [_failed(client, n, TAX_REASON, "tax_code_unknown", TAX_DETAIL) for n in range(17)]
    meals = [_failed(client, n, MEALS_REASON, "account_unknown", MEALS_DETAIL) for n in range(2)]
    down = [_failed(client, 0, UNREACHABLE, "accounting_system_unreachable", {})]
    ExportRecord.objects.create(client=client, pleo_accounting_entry_id="booked", kind="card_purchase",
                                status="exported", amount=Decimal("5.00"), currency="EUR")
    other = ClientFactory(name="Other Client BV")
    _failed(other, 0, "Other's reason", "tax_code_unknown", TAX_DETAIL)
    return {"client": client, "other": other, "tax": tax, "meals": meals, "down": down}


@pytest.mark.django_db
def test_failures_by_cause_shows_each_cause_once_with_its_count_its_fix_and_a_retry_of_exactly_those(
        admin_browser, failures):
    client = failures["client"]
    page = admin_browser.get(reverse(FAILURES), {"client__id__exact": client.pk})

    assert page.status_code == 200
    rows = causes_html(page.content.decode()).split('<tr class="failure-cause">')[1:]
    assert [text(row).split(" ×")[0].strip() for row in rows] == ["17", "2", "1"]
    tax_row = rows[0]
    assert "17 × Pleo tax code “I0” (0 %) is not mapped to an Odoo tax." in text(tax_row)
    label, url = failure_fix(client_id=client.pk, detail=TAX_DETAIL)
    assert label == "Map tax code I0"
    assert f'href="{html_lib.escape(url)}">Map tax code I0</a>' in tax_row
    ids = re.search(r'name="records" value="([^"]*)"', tax_row).group(1)
    assert sorted(map(int, ids.split(","))) == sorted(r.pk for r in failures["tax"])
    assert "Retry all 17" in text(tax_row) and 'name="csrfmiddlewaretoken"' in tax_row
    assert "Map category Meals" in text(rows[1]) and "Retry all 2" in text(rows[1])
    assert "Map" not in text(rows[2]) and "Retry all 1" in text(rows[2])  # Odoo was down: nothing to map
    assert "Other Client BV" not in page.content.decode()


@pytest.mark.django_db
def test_the_failed_list_shows_the_causes_above_it_and_each_reason_with_its_fix(admin_browser, failures):
    page = admin_browser.get(reverse(CHANGELIST), {"status__exact": "failed"})
    body = page.content.decode()

    causes = text(causes_html(body))
    assert "17 × Pleo tax code “I0”" in causes and "Bakkerij Jansen BV" in causes and "Other Client BV" in causes
    assert "1 × Other's reason" in causes  # the other client's I0 is a cause of its own
    reason = re.search(r'<td class="field-display_reason">(.*?)</td>', body, re.S).group(1)
    assert reason.startswith(TAX_REASON)
    assert "Map tax code I0</a>" in reason
    assert "column-display_status" not in body and "column-display_reason" in body  # all failed: no status
    assert f'href="{reverse(FAILURES)}"' in body


@pytest.mark.django_db
def test_the_list_of_all_records_keeps_its_status_column_and_shows_no_causes(admin_browser, failures):
    body = admin_browser.get(reverse(CHANGELIST)).content.decode()
    assert "column-display_status" in body and 'id="failure-causes"' not in body


@pytest.mark.django_db
def test_a_staff_member_sees_and_retries_only_the_failures_of_their_clients(client, staff_user, failures):
    failures["client"].staff.add(staff_user)
    client.force_login(staff_user)
    causes = export_failure_causes(user=staff_user)
    assert {cause.client for cause in causes} == {failures["client"]}
    page = client.get(reverse(FAILURES))
    assert "Other Client BV" not in page.content.decode() and "17 ×" in page.content.decode()
    assert client.get(reverse(FAILURES), {"client__id__exact": failures["other"].pk}).status_code == 404
    other = ExportRecord.objects.get(client=failures["other"])

    page = client.post(reverse("admin:exports_exportrecord_failures_retry"),
                       {"records": str(other.pk), "next": reverse(FAILURES)}, follow=True)

    assert [str(m) for m in page.context["messages"]] == [
        "None of the selected records failed, so there was nothing to retry. Only failed records can be retried; "
        "exported and skipped ones are settled."]
    other.refresh_from_db()
    assert other.status == "failed"


@pytest.mark.django_db
def test_retry_all_and_the_record_retry_take_posts_only(admin_browser, failures):
    record = failures["tax"][0]
    assert admin_browser.get(reverse("admin:exports_exportrecord_failures_retry")).status_code == 405
    assert admin_browser.get(reverse("admin:exports_exportrecord_retry", args=[record.pk])).status_code == 405
    assert admin_browser.post(reverse("admin:exports_exportrecord_retry", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_failed_record_page_says_why_with_the_fix_and_a_retry_button(admin_browser, failures):
    record = failures["tax"][0]
    body = admin_browser.get(reverse("admin:exports_exportrecord_change", args=[record.pk])).content.decode()
    box = body[body.index('id="export-failure"'):body.index("</form>", body.index('id="export-failure"'))]
    assert "Not booked:" in text(box) and "Pleo tax code “I0” (0 %)" in text(box)
    assert "Map tax code I0</a>" in box
    assert f'action="{reverse("admin:exports_exportrecord_retry", args=[record.pk])}"' in box
    assert 'method="post"' in box and 'name="csrfmiddlewaretoken"' in box
    assert body.index('id="export-failure"') < body.index('id="exportrecord_form"')  # above the read-only fields
    booked = ExportRecord.objects.get(pleo_accounting_entry_id="booked")
    body = admin_browser.get(reverse("admin:exports_exportrecord_change", args=[booked.pk])).content.decode()
    assert 'id="export-failure"' not in body


def test_every_pleo_failure_type_has_words_of_its_own():
    assert set(FAILURE_TYPE_LABELS) == set(ITEM_FAILURE_REASON_TYPES)
    assert len(set(FAILURE_TYPE_LABELS.values())) == len(FAILURE_TYPE_LABELS)
    assert all("_" not in label for label in FAILURE_TYPE_LABELS.values())
