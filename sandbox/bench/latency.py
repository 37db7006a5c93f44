"""The latency benchmark: from an export job's creation in the Pleo sandbox to the job completed, with Pleo's
webhook and with the poll alone.

Real processes, as in production: this process serves the portal's WSGI app (the receiver and both sandboxes)
on a free loopback port, and ONE `manage.py qcluster` on the same database runs the exports, reaching the
sandboxes over HTTP. The sandbox's own timestamps (ExportJob.created_at, completed_at, one clock) give the
latency; the 50 ms polling only notices that a job is done.
"""
import math
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule, Task
from django_q.tasks import async_task

from exports.models import ExportRun
from exports.schedules import SCHEDULE_PREFIXES, schedules_ensure
from integrations.choices import WebhookStatus
from integrations.models import Client, PleoConnection
from integrations.selectors import pleo_client_for
from integrations.verify_pleo import pleo_connection_verify
from integrations.webhooks import pleo_webhook_unsubscribe
from mappings.booking_settings import booking_settings_update
from sandbox.bench.exports import BENCH_KINDS, bench_clients_seed
from sandbox.bench.load import STOP_SECONDS, database_url, qclusters_start, qclusters_stop
from sandbox.pleo.models import Company, ExportJob, JobStatus
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create
from sandbox.pleo.webhooks import WEBHOOK_DELIVERIES, webhook_deliveries_clear, webhook_deliveries_wait

__all__ = [
    "TARGET_WEBHOOK_P95_SECONDS",
    "ModeResult",
    "percentile",
    "latency_lines",
    "poll_moments",
    "cluster_ping",
    "latency_run",
]

TARGET_WEBHOOK_P95_SECONDS = 10.0
EXPENSES_PER_JOB = 3  # a few expenses, as a bookkeeper presses Export during the day
WAIT_STEP_SECONDS = 0.05
WEBHOOK_TIMEOUT_SECONDS = 90  # per round; far past the target, so a slow run still reports its figures
CLUSTER_READY_SECONDS = 90
# django-q2 looks for due schedules about every 30 s (cluster.py: GUARD_CYCLE 0.5 s x 60): a poll may start
# that late after its due time, on top of the interval.
SCHEDULER_CADENCE_SECONDS = 30
FINAL = (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.FAILED)
POLL_PREFIX = SCHEDULE_PREFIXES[0]


@dataclass
class ModeResult:
    mode: str
    latencies: list[float] = field(default_factory=list)  # seconds, jobs completed (with errors or not)
    with_errors: int = 0
    failed: int = 0  # jobs Pleo holds as failed: no latency to count
    timed_out: int = 0
    deliveries: Counter = field(default_factory=Counter)  # the sandbox's deliveries by the receiver's answer
    answer_seconds: list[float] = field(default_factory=list)  # how long the receiver took to answer each
    triggers: Counter = field(default_factory=Counter)  # the export runs that took the jobs, by who started them
    job_ids: list[int] = field(default_factory=list)


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: a value that occurred, and with fewer than 20 values p95 is the maximum."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]


def latency_lines(*, results: list[ModeResult]) -> list[str]:
    """The table, then the target and what the sandbox delivered, per mode."""
    lines = [f"{'mode':<16}{'jobs':>6}{'errors':>8}{'failed':>8}{'timeout':>9}{'p50 s':>9}{'p95 s':>9}{'max s':>9}"]
    for r in results:
        p50, p95 = percentile(r.latencies, 50), percentile(r.latencies, 95)
        top = max(r.latencies, default=math.nan)
        lines.append(f"{r.mode:<16}{len(r.latencies):>6}{r.with_errors:>8}{r.failed:>8}{r.timed_out:>9}"
                     f"{p50:>9.2f}{p95:>9.2f}{top:>9.2f}")
    webhook = next((r for r in results if r.mode == "webhook"), None)
    if webhook is not None:
        p95 = percentile(webhook.latencies, 95)
        met = (bool(webhook.latencies) and not webhook.timed_out and not webhook.failed
               and p95 < TARGET_WEBHOOK_P95_SECONDS)
        lines.append(f"target webhook p95 < {TARGET_WEBHOOK_P95_SECONDS:g} s: {'yes' if met else 'no'}")
    for r in results:
        answers = ", ".join(f"{answer}: {count}" for answer, count in sorted(r.deliveries.items(), key=str)) or "none"
        runs = ", ".join(f"{who}: {count}" for who, count in sorted(r.triggers.items())) or "none"
        lines.append(f"{r.mode}: sandbox deliveries by the portal's answer: {answers}; export runs of the jobs, "
                     f"started by: {runs}")
        if r.answer_seconds:  # the receiver only checks and queues: it must answer within a second
            lines.append(f"{r.mode}: the receiver answered in p50 {percentile(r.answer_seconds, 50) * 1000:.0f} ms, "
                         f"p95 {percentile(r.answer_seconds, 95) * 1000:.0f} ms, max "
                         f"{max(r.answer_seconds) * 1000:.0f} ms")
    return lines


def poll_moments(*, start: float, anchor: float, interval: float, clients: int, round_index: int,
                 rounds: int) -> list[float]:
    """When to create each client's job this round: the phases of the poll interval (from the polls' due time
    `anchor`) spread evenly over every job of every round, each at its first moment after `start`, so the
    figure covers the whole interval instead of one lucky alignment."""
    moments = []
    for index in range(clients):
        phase = (index * rounds + round_index + 0.5) / (clients * rounds)
        cycles = math.ceil((start - anchor) / interval - phase)
        moments.append(anchor + (cycles + phase) * interval)
    return moments


def cluster_ping() -> str:
    """A task that proves the cluster takes work: round 1 must not pay for the cluster's start."""
    return "pong"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # a line per request would drown the figures
        pass


def _server_start() -> tuple[ThreadedWSGIServer, str]:
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(get_internal_wsgi_application())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="bench-latency-portal",
                     daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _clients_seed(*, clients: int, base_url: str) -> list[Client]:
    """The export benchmark's clients (emulated Odoo 17, every mapping) wired to the server, then verified
    over HTTP, which subscribes each to Pleo's webhook at PORTAL_PUBLIC_URL."""
    # Run here the schedule refreshes the seed and Verify queue, rather than leave them for the cluster.
    with mock.patch.object(Conf, "SYNC", True):
        seeded = bench_clients_seed(prefix="latency", clients=clients, expenses=0, receipts=False, versions=(17,),
                                    base_url=base_url)
        for client in seeded:
            pleo_connection_verify(connection=PleoConnection.objects.get(client=client))
    broken = PleoConnection.objects.filter(client__in=seeded).exclude(webhook_status=WebhookStatus.ACTIVE)
    if broken.exists():
        raise RuntimeError(f"Not subscribed to Pleo's webhook: {[(c.pk, c.webhook_problem) for c in broken]}")
    schedules_ensure()  # what `manage.py setup_schedules` does
    # As after the portal has run a while: every schedule ran just now. Their first pass (polls, syncs, drift
    # checks) would otherwise run beside round 1.
    Schedule.objects.update(next_run=timezone.now() + timedelta(hours=1))
    return seeded


def _cluster_ready(*, process, log_file: Path) -> None:
    task_id = async_task("sandbox.bench.latency.cluster_ping", task_name="bench latency ping")
    deadline = time.monotonic() + CLUSTER_READY_SECONDS
    while not Task.objects.filter(id=task_id).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"The qcluster did not start:\n{log_file.read_text(errors='replace')[-3000:]}")
        time.sleep(WAIT_STEP_SECONDS)


def _cluster_stop(process: subprocess.Popen | None) -> None:
    if process is not None:
        qclusters_stop([process], timeout=STOP_SECONDS)


def _job_create(*, client: Client, items) -> int:
    with transaction.atomic():  # committed here, so the sandbox's delivery goes out now
        return export_job_create(company=_company(client=client), items=items).pk


def _company(*, client: Client) -> Company:
    return Company.objects.get(uuid=PleoConnection.objects.get(client=client).company_id)


def _items(*, client: Client, seed: int) -> list:
    return export_items_generate(company=_company(client=client), count=EXPENSES_PER_JOB, kinds=BENCH_KINDS,
                                 seed=seed, with_receipts=False)


def _jobs_wait(*, job_ids: list[int], timeout: float, result: ModeResult) -> None:
    """Poll the sandbox until every job is final or `timeout`; record the latencies from its timestamps."""
    result.job_ids += job_ids
    deadline = time.monotonic() + timeout
    while True:
        jobs = list(ExportJob.objects.filter(pk__in=job_ids).values_list("status", "created_at", "completed_at"))
        if all(status in FINAL for status, *_ in jobs) or time.monotonic() > deadline:
            break
        time.sleep(WAIT_STEP_SECONDS)
    for status, created_at, completed_at in jobs:
        if status == JobStatus.FAILED:
            result.failed += 1
        elif status in FINAL:
            result.latencies.append((completed_at - created_at).total_seconds())
            result.with_errors += status == JobStatus.COMPLETED_WITH_ERRORS
        else:
            result.timed_out += 1


def _result_close(*, result: ModeResult) -> ModeResult:
    webhook_deliveries_wait(timeout=10)
    result.deliveries = Counter(str(delivery.result) for delivery in WEBHOOK_DELIVERIES)
    result.answer_seconds = [d.seconds for d in WEBHOOK_DELIVERIES if d.seconds is not None]
    webhook_deliveries_clear()
    uuids = [str(u) for u in ExportJob.objects.filter(pk__in=result.job_ids).values_list("uuid", flat=True)]
    result.triggers = Counter(ExportRun.objects.filter(pleo_job_id__in=uuids).values_list("triggered_by", flat=True))
    return result


def _webhook_rounds(*, clients: list[Client], rounds: int, progress) -> ModeResult:
    """Each round creates one job per client at once (so jobs may queue behind each other for the cluster's
    workers) and waits for all: Pleo runs one job per company at a time."""
    result = ModeResult(mode="webhook")
    webhook_deliveries_clear()
    for round_index in range(rounds):
        progress(f"webhook round {round_index + 1}/{rounds}")
        items = {c.pk: _items(client=c, seed=round_index) for c in clients}
        job_ids = [_job_create(client=c, items=items[c.pk]) for c in clients]
        _jobs_wait(job_ids=job_ids, timeout=WEBHOOK_TIMEOUT_SECONDS, result=result)
    return _result_close(result=result)


def _poll_only_switch(*, clients: list[Client], minutes: int) -> float:
    """The webhook off and each client polled every `minutes`; returns the polls' due time (epoch seconds)."""
    for client in clients:
        connection = PleoConnection.objects.get(client=client)
        pleo_webhook_unsubscribe(connection=connection, client=pleo_client_for(connection))
        PleoConnection.objects.filter(pk=connection.pk).update(
            webhook_status=WebhookStatus.NONE, webhook_subscription_id="", webhook_secret=None)
        with mock.patch.object(Conf, "SYNC", True):  # its schedule refresh here, not in the cluster
            booking_settings_update(client=client, data={"poll_interval_minutes": minutes})
    schedules_ensure()
    # ensure keeps an existing schedule's next_run, still up to an hour away (30 minutes in a portal whose
    # webhook stops working): the polls fall due now, as in a portal that has polled at this interval all along.
    anchor = timezone.now()
    Schedule.objects.filter(name__startswith=POLL_PREFIX).update(next_run=anchor)
    return anchor.timestamp()


def _poll_rounds(*, clients: list[Client], rounds: int, minutes: int, progress) -> ModeResult:
    result = ModeResult(mode=f"poll every {minutes} min")
    anchor, interval = _poll_only_switch(clients=clients, minutes=minutes), minutes * 60.0
    webhook_deliveries_clear()
    for round_index in range(rounds):
        progress(f"poll-only round {round_index + 1}/{rounds}: jobs over the next {minutes} min, then their polls")
        items = {c.pk: _items(client=c, seed=100 + round_index) for c in clients}
        moments = poll_moments(start=time.time(), anchor=anchor, interval=interval, clients=len(clients),
                               round_index=round_index, rounds=rounds)
        job_ids = []
        for moment, client in sorted(zip(moments, clients, strict=True), key=lambda pair: pair[0]):
            time.sleep(max(moment - time.time(), 0))
            job_ids.append(_job_create(client=client, items=items[client.pk]))
        _jobs_wait(job_ids=job_ids, timeout=interval + SCHEDULER_CADENCE_SECONDS + 120, result=result)
    return _result_close(result=result)


def latency_run(*, clients: int = 4, rounds: int = 5, poll_rounds: int = 2, poll_minutes: int = 1,
                skip_poll: bool = False, progress=None) -> list[ModeResult]:
    """Start the portal's server, seed and subscribe, start one qcluster, time both modes, stop everything."""
    progress = progress or (lambda text: None)
    with tempfile.TemporaryDirectory(prefix="portal-bench-latency-") as directory:
        log_file, cluster = Path(directory) / "qcluster.log", None
        server, address = _server_start()
        try:
            # Where the sandbox delivers and the subscriptions point; the cluster hears it too (a Verify there).
            settings.PORTAL_PUBLIC_URL = os.environ["PORTAL_PUBLIC_URL"] = address
            progress(f"portal at {address}; seeding {clients} clients and subscribing them to Pleo's webhook")
            seeded = _clients_seed(clients=clients, base_url=address)
            env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true", "SANDBOX_ENABLED": "true",
                   "PORTAL_PUBLIC_URL": address}
            env.pop("DJANGO_SETTINGS_MODULE", None)  # a caller under pytest: its test settings run tasks inline
            with log_file.open("ab") as log:
                [cluster] = qclusters_start(count=1, env=env, stderr=log)
            progress("waiting for the qcluster to take work")
            _cluster_ready(process=cluster, log_file=log_file)
            results = [_webhook_rounds(clients=seeded, rounds=rounds, progress=progress)]
            if not skip_poll:
                results.append(_poll_rounds(clients=seeded, rounds=poll_rounds, minutes=poll_minutes,
                                            progress=progress))
            if cluster.poll() is not None:
                raise RuntimeError(f"The qcluster stopped:\n{log_file.read_text(errors='replace')[-3000:]}")
            return results
        finally:
            _cluster_stop(cluster)
            server.shutdown()
            server.server_close()
