"""Pleo failing while the results are reported (the item results, then the job's closing event): the next
run settles it, every expense booked once and every Pleo item in its right final state."""
import pytest

from exports.services import export_queue_poll
from integrations.pleo.errors import PleoError
from sandbox.pleo.services import fault_add
from tests.exports.services.fault_checks import books_settled, job_seed

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out

FAULTS = [
    ("http_429", {"retry_after": 1, "count": 4}),  # still limited after the three retries the client allows
    ("http_500", {"count": 1}),
    ("timeout", {"count": 1}),  # Pleo applies the call, the answer never comes
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind,options", FAULTS, ids=[kind for kind, _ in FAULTS])
@pytest.mark.parametrize("step", ["items", "event"])
@pytest.mark.parametrize("fake_odoo", [17], indirect=True)  # Pleo's faults do not depend on the Odoo version
def test_pleo_failing_while_results_are_reported_is_settled_by_the_next_run(export_client, fake_odoo, fake_pleo,
                                                                           sleeps, kind, options, step):
    """Naive: booking the expenses again because Pleo still lists them, or leaving the job open forever."""
    items, job = job_seed(fake_pleo)
    method, path = (("PUT", f"/v3/export-jobs/{job.uuid}/items") if step == "items"
                    else ("POST", "/v3/export-job-events"))
    if step == "event":  # the `started` event passes (a slow rule of no delay); the closing one fails
        fault_add(company=fake_pleo.company, method="POST", path_prefix="/v3/export-job-events", kind="slow", count=1)
    fault_add(company=fake_pleo.company, method=method, path_prefix=path, kind=kind, **options)

    with pytest.raises(PleoError):
        export_queue_poll(client_id=export_client.pk)
    if kind == "http_429":
        assert sleeps == [1.0] * 3  # waited as Pleo asked, three times, then gave up until the next run

    export_queue_poll(client_id=export_client.pk)
    records = books_settled(client=export_client, fake_odoo=fake_odoo, job=job)
    assert all(r.status == "exported" for r in records), [(r.status, r.last_error) for r in records]
