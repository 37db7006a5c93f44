"""The choices the client makes where the Pleo contract is silent (§13) or contradicts itself (§12),
each pinned against the contract's examples."""
from decimal import Decimal

import pytest

from integrations.pleo import contract
from integrations.pleo.errors import PleoServerError
from tests.integrations.pleo.support import BASE_URL, COMPANY_ID, JOB_ID, TOKEN, page, query_of

__all__ = []


# ---------------------------------------------------------------------- §13 Q3 minor units


@pytest.mark.parametrize(
    ("money", "amount"),
    [
        ({"currency": "SEK", "value": 89696}, Decimal("896.96")),  # the contract's own example
        ({"currency": "DKK", "value": 125000}, Decimal("1250.00")),
        ({"currency": "USD", "value": 12000.0}, Decimal("120.00")),  # a JSON number parsed as float
        ({"currency": "JPY", "value": 125000}, Decimal("1250")),  # cents for every currency, as written
        ({"currency": "ISK", "value": 990000}, Decimal("9900")),
        ({"currency": "KWD", "value": 12345}, Decimal("123.450")),
    ],
)
def test_money_values_are_cents_for_every_currency(money, amount):
    result = contract.money_to_decimal(money)

    assert result == amount
    assert result.as_tuple().exponent == amount.as_tuple().exponent  # rounded to the currency's decimals


def test_a_yen_value_that_only_fits_iso_minor_units_is_refused_not_guessed():
    # 1250 read as cents is 12.50 yen, which cannot exist: Pleo must be using another unit.
    with pytest.raises(PleoServerError, match="does not guess"):
        contract.money_to_decimal({"currency": "JPY", "value": 1250})


@pytest.mark.parametrize("value", [None, "abc", "1250", True, float("nan"), float("inf"), [1250]])
def test_a_value_that_is_not_a_number_is_refused(value):
    # "1250" breaks the contract's `type: number`: the portal does not guess whether it meant cents.
    with pytest.raises(PleoServerError, match="not a number"):
        contract.money_to_decimal({"currency": "DKK", "value": value})


@pytest.mark.parametrize("currency", ["EURO", "eur", "", None, "UNDEFINED", "€", 978])
def test_a_currency_that_is_not_an_iso_code_is_refused(currency):
    with pytest.raises(PleoServerError, match="not an ISO 4217 currency code"):
        contract.money_to_decimal({"currency": currency, "value": 1250})


def test_every_amount_in_the_example_export_items_reads_as_decimal(example):
    items = example("export-items-page.json")["data"]

    amounts = [contract.money_to_decimal(item["amount"]["inWalletCurrency"]) for item in items]

    assert all(isinstance(a, Decimal) for a in amounts)
    usd_purchase = items[1]["amount"]
    assert contract.money_to_decimal(usd_purchase["inSupplierCurrency"]) == Decimal("120.00")
    assert contract.money_to_decimal(usd_purchase["inWalletCurrency"]) == Decimal("826.56")


# ---------------------------------------------------------------------- §13 Q2 sign convention


def test_amounts_are_read_as_given_and_the_direction_comes_from_the_type(example):
    items = {item["type"]: item for item in example("export-items-page.json")["data"]}

    refund = items["refund"]
    assert contract.money_to_decimal(refund["amount"]["inWalletCurrency"]) > 0  # positive, as sent
    assert contract.export_item_direction(refund) == "in"
    assert contract.export_item_direction(items["card_purchase"]) == "out"
    assert contract.export_item_direction(items["wallet_topup"]) == "in"
    assert contract.export_item_direction(items["direct_reimbursement"]) == "out"


def test_a_negative_value_keeps_its_sign():
    assert contract.money_to_decimal({"currency": "DKK", "value": -8990}) == Decimal("-89.90")


def test_a_reversing_sub_type_flips_the_direction():
    item = {"type": "direct_reimbursement", "subType": "reimbursement_to_employee_refund"}

    assert contract.export_item_direction(item) == "in"


def test_an_unknown_type_gets_no_guessed_direction():
    with pytest.raises(PleoServerError, match="unknown type"):
        contract.export_item_direction({"type": "crypto_purchase"})


# ---------------------------------------------------------------------- §12.4 null or missing enums


@pytest.mark.parametrize("record", [{}, {"subType": None}, {"subType": ""}])
def test_a_null_or_missing_sub_type_reads_as_none(record):
    assert contract.optional_enum(record, "subType") is None


def test_the_example_items_without_sub_type_or_failure_reason_type_are_read(rsps, client, example):
    rsps.get(f"{BASE_URL}/v3/export-items", json=example("export-items-page.json"))
    rsps.get(f"{BASE_URL}/v3/export-jobs/{JOB_ID}/items", json=example("export-job-items-page.json"))

    items = client.export_items(JOB_ID)
    job_items = client.export_job_items(JOB_ID)

    assert [contract.optional_enum(i, "subType") for i in items].count(None) == 5
    assert contract.optional_enum(items[3], "subType") == "reimbursement_to_employee"
    assert all(contract.optional_enum(j, "failureReasonType") is None for j in job_items)
    assert [contract.export_item_direction(i) for i in items]  # a missing subType is no obstacle


# ---------------------------------------------------------------------- §13 Q9 file downloads


def test_file_urls_are_fetched_without_the_token_even_on_the_api_host(rsps, client):
    assert contract.FILE_DOWNLOAD_SENDS_TOKEN is False
    url = f"{BASE_URL}/files/receipt.pdf?X-Signature=abc"
    rsps.get(url, body=b"%PDF")

    client.file_download(url, max_bytes=100)

    assert "Authorization" not in rsps.calls[0].request.headers
    assert TOKEN not in str(rsps.calls[0].request.headers)


def test_even_if_file_urls_took_the_token_it_would_never_go_to_another_host(rsps, client, monkeypatch):
    monkeypatch.setattr(contract, "FILE_DOWNLOAD_SENDS_TOKEN", True)
    rsps.get("https://files.example.com/receipt.pdf", body=b"%PDF")
    rsps.get("http://pleo.test/files/receipt.pdf", body=b"%PDF")  # same host, other scheme
    rsps.get(f"{BASE_URL}/files/receipt.pdf", body=b"%PDF")

    client.file_download("https://files.example.com/receipt.pdf", max_bytes=100)
    client.file_download("http://pleo.test/files/receipt.pdf", max_bytes=100)
    client.file_download(f"{BASE_URL}/files/receipt.pdf", max_bytes=100)

    sent = [call.request.headers.get("Authorization") for call in rsps.calls]
    assert sent == [None, None, f"Bearer {TOKEN}"]


# ---------------------------------------------------------------------- §13 Q6 ordering and page size


def test_jobs_are_taken_oldest_first_whatever_order_pleo_sends(example):
    jobs = example("export-jobs-page.json")["data"]

    ordered = contract.sort_jobs_oldest_first(list(reversed(jobs)))

    assert [j["createdAt"] for j in ordered] == ["2025-02-28T15:01:44Z", "2025-03-12T08:55:10Z", "2025-03-12T09:30:00Z"]
    assert contract.sort_jobs_oldest_first(jobs) == ordered


def test_a_job_without_a_creation_time_is_refused():
    with pytest.raises(PleoServerError):
        contract.sort_jobs_oldest_first([{"id": "a", "createdAt": "2025-03-12T09:30:00Z"}, {"id": "b"}])


def test_no_page_size_is_guessed(rsps, client):
    assert contract.PAGE_LIMIT is None
    rsps.get(f"{BASE_URL}/v3/export-jobs", json=page([]))

    client.export_jobs(company_id=COMPANY_ID)

    assert "limit" not in query_of(rsps.calls[0])


# ---------------------------------------------------------------------- §5.3 resuming in_progress jobs


def test_an_in_progress_job_is_resumed_without_a_second_started_event(rsps, client, example):
    rsps.get(f"{BASE_URL}/v3/export-jobs", json=page(example("export-jobs-page.json")["data"][:2]))

    jobs = client.export_jobs(company_id=COMPANY_ID, statuses=contract.RESUMABLE_JOB_STATUSES)

    assert query_of(rsps.calls[0])["statuses"] == ["pending", "in_progress"]
    oldest = jobs[0]
    assert oldest["status"] == "in_progress"
    assert contract.job_needs_started_event(oldest) is False
    assert contract.job_needs_started_event(jobs[1]) is True


# ---------------------------------------------------------------------- §12.1 event body field


def test_the_event_body_names_the_job_jobId_as_the_schema_does(example, assert_matches_schema):
    body = contract.export_job_event_body(job_id=JOB_ID, event="started")

    assert contract.EVENT_JOB_ID_FIELD == "jobId"
    assert body == example("export-job-event-started.json")
    assert "exportJobId" not in body
    assert_matches_schema(body, "CreateExportJobEvent")


def test_a_failed_event_needs_a_known_reason_type():
    with pytest.raises(ValueError):
        contract.export_job_event_body(job_id=JOB_ID, event="failed", failure_reason="Odoo is down")
    with pytest.raises(ValueError):
        contract.export_job_event_body(job_id=JOB_ID, event="failed", failure_reason_type="odoo_is_down")


def test_a_failure_reason_goes_only_with_failed():
    with pytest.raises(ValueError):
        contract.export_job_event_body(job_id=JOB_ID, event="completed", failure_reason="partly")


def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError):
        contract.export_job_event_body(job_id=JOB_ID, event="canceled")  # §12.12: in no enum


# ---------------------------------------------------------------------- which invoice an invoice payment pays


@pytest.mark.parametrize(
    ("information", "number"),
    [
        ({"invoiceNumber": "INV-2026-1042"}, "INV-2026-1042"),
        ({"invoiceNumber": "  INV-7 "}, "INV-7"),
        ({"invoiceNumber": ""}, None),
        ({"invoiceNumber": None}, None),
        ({}, None),
        (None, None),
    ],
)
def test_an_invoice_payment_names_its_invoice_by_the_invoice_number_only(information, number):
    item = {"type": "invoice_payment", "additionalInformation": {"invoiceInformation": information,
                                                                 "reconciledEntries": ["not-a-link-for-payments"]}}
    assert contract.invoice_payment_invoice_number(item) == number
