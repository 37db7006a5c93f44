"""Bad answers from Pleo with 200 OK: a web page, or JSON cut off on the way. The client raises its own
error with a plain sentence (never a JSONDecodeError, never the token) and the caller knows whether to try
again later."""
import pytest

from integrations.pleo.errors import PleoConnectionError, PleoError, PleoServerError
from tests.integrations.pleo.support import BASE_URL, COMPANY_ID, JOB_ID, TOKEN

__all__ = []

CUT_OFF = '{"data": [{"id": "3f8e2a71-5c4d-4b9e-8a1f-6d2c7b9e0a14", "status": "pend'
MAINTENANCE = "<!doctype html><html><body><h1>We'll be back soon</h1></body></html>"


def shown(error: PleoError) -> str:
    return f"{error} {error!r} {error.payload!r} {error.extra!r} {error.args!r}"


def test_a_list_cut_off_on_the_way_is_a_connection_error_to_retry_later(rsps, client):
    rsps.get(f"{BASE_URL}/v3/export-jobs", body=CUT_OFF, content_type="application/json;charset=UTF-8")

    with pytest.raises(PleoConnectionError) as caught:
        client.export_jobs(company_id=COMPANY_ID)

    error = caught.value
    assert str(error) == "Pleo's answer broke off before it was complete (HTTP 200); the portal will try again later."
    assert error.should_retry and error.status == 200
    assert error.__cause__ is None and error.__context__ is None  # no JSONDecodeError traceback
    assert TOKEN not in shown(error)


def test_export_items_answered_with_a_web_page_name_the_address_to_check(rsps, client):
    rsps.get(f"{BASE_URL}/v3/export-items", body=MAINTENANCE, content_type="text/html")

    with pytest.raises(PleoServerError) as caught:
        client.export_items(JOB_ID)

    assert "Pleo answered with a web page instead of JSON (HTTP 200): check the Pleo API address" in str(caught.value)
    assert not caught.value.should_retry and TOKEN not in shown(caught.value)


def test_a_cut_off_answer_to_the_item_update_keeps_what_is_still_unsent(rsps, client):
    updates = [{"accountingEntryId": f"entry-{n}", "status": "successful"} for n in range(3)]
    rsps.put(f"{BASE_URL}/v3/export-jobs/{JOB_ID}/items", body='{"data": [', content_type="application/json")

    with pytest.raises(PleoConnectionError) as caught:
        client.export_job_items_update(JOB_ID, updates)

    assert caught.value.extra["unsent"] == updates
    assert len(rsps.calls) == 1  # a write Pleo may have applied is not sent again by the client


@pytest.mark.parametrize("body", ['{"data": "not a list"}', "[]", '"data"'],
                         ids=["data-not-a-list", "bare-list", "string"])
def test_json_of_the_wrong_shape_is_a_server_error(rsps, client, body):
    rsps.get(f"{BASE_URL}/v3/export-items", body=body, content_type="application/json")

    with pytest.raises(PleoServerError, match="not the contract's shape"):
        client.export_items(JOB_ID)
