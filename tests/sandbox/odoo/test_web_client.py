"""The emulated Odoo's web client: where the portal's "Open in Odoo" link of an export record leads."""
import html
import re

import pytest

from exports.models import ExportRecord
from exports.services import export_queue_poll
from mappings.models import CategoryMapping
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_database_create
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create
from sandbox.transport import SANDBOX_TEST_URL, in_process_session


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def entry_shown(page: str, anchor: str) -> dict:
    """What a person reads of the journal entry the link's `#anchor` points at: its fields, items and files."""
    found = re.search(rf'<section id="{re.escape(html.escape(anchor))}">(.*?)</section>', page, re.S)
    assert found, f"no journal entry under #{anchor}"
    section = found.group(1)
    rows = [[_text(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)]
    header, *items, total = rows
    return {
        "fields": {_text(dt): _text(dd) for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section, re.S)},
        "items": [dict(zip(header, item, strict=True)) for item in items],
        "total": total,
        "attachments": [_text(li) for li in re.findall(r"<li>(.*?)</li>", section, re.S)],
    }


@pytest.mark.django_db
def test_open_in_odoo_shows_the_booked_journal_entry(export_client, fake_odoo, fake_pleo):
    items = export_items_generate(company=fake_pleo.company, count=1, seed=4, kinds=["card_purchase"])
    export_job_create(company=fake_pleo.company, items=items)
    export_queue_poll(client_id=export_client.pk)
    record = ExportRecord.objects.get(client=export_client, status="exported")

    # What a browser does with the link: the part after `#` stays in the browser, which shows that element.
    address, anchor = record.odoo_url.split("#")
    answer = in_process_session().get(record.odoo_url)

    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert address == f"{fake_odoo.url}/web"
    entry = entry_shown(answer.text, anchor)
    fields = entry["fields"]
    assert (fields["Number"], fields["Status"], fields["Date"]) == (record.odoo_name, "Posted",
                                                                    record.booked_date.isoformat())
    assert fields["Journal"] == "Miscellaneous Operations" and fields["Reference"] == record.odoo_reference
    categories = set(CategoryMapping.objects.filter(client=export_client).values_list("odoo_account_label", flat=True))
    expense = next(item for item in entry["items"] if item["Account"] in categories)
    assert record.supplier in expense["Label"] and expense["Taxes"] and expense["Analytic"].endswith("%")
    assert "106001 Liquidity Transfer" in {item["Account"] for item in entry["items"]}  # the Wallet, credited
    amount = f"{record.amount:,.2f}"
    assert entry["total"] == ["Total", amount, amount]
    assert entry["attachments"] and all(name.startswith("receipt.") for name in entry["attachments"])


@pytest.mark.django_db
def test_the_page_escapes_what_odoo_holds_and_serves_emulated_databases_only(sandbox_http):
    database = emulated_database_create(name="pages", version=17)
    EmulatedRecord.objects.create(database=database, model="account.move", record_id=1, values={
        "name": "MISC/2025/0001", "move_type": "entry", "state": "draft", "date": "2025-03-01", "journal_id": 3,
        "ref": "<script>alert(1)</script>"})
    session = in_process_session()

    page = session.get(f"{SANDBOX_TEST_URL}/sandbox/odoo/pages/web")
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert entry_shown(page.text, "id=1&model=account.move&view_type=form")["fields"]["Reference"] == (
        "<script>alert(1)</script>")
    assert session.get(f"{SANDBOX_TEST_URL}/sandbox/odoo/no-such-database/web").status_code == 404
    assert session.post(f"{SANDBOX_TEST_URL}/sandbox/odoo/pages/web").status_code == 405
