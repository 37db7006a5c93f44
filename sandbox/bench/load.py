"""The load benchmark: many clients on their export schedules, run by several qcluster processes for a bounded time.

Plain functions so the management command (`manage.py bench_load`) and its test share them. The clients
come from the export benchmark's seed (sandbox.bench.exports); only their export polls are scheduled, spread
over one poll interval from the moment the clusters start, as they are once a portal has run for a while.
The clusters run the real scheduler and the real poll, through `export_queue_poll_timed`, which notes when
each poll started against the time its schedule was due and lets the sandboxes answer inside the worker.
"""
import contextlib
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule, Task

from exports.choices import RUNS_THAT_REACHED_ODOO, ExportRecordStatus, ExportRunStatus
from exports.models import ExportRecord, ExportRun
from exports.schedules import DEFAULT_POLL_MINUTES, SCHEDULE_PREFIXES, schedules_ensure
from sandbox.bench.exports import BENCH_BASE_URL, bench_clients_seed
from sandbox.pleo.models import ExportJobItem
from sandbox.transport import sandboxes_in_process

__all__ = [
    "STARTS_FILE_VARIABLE",
    "LoadResult",
    "export_queue_poll_timed",
    "load_clients_seed",
    "load_run",
    "load_lines",
    "database_url",
    "qclusters_start",
    "qclusters_stop",
]

# The file each cluster worker appends "<due> <started>" to, one line per poll; set for the cluster processes.
STARTS_FILE_VARIABLE = "LOAD_BENCH_STARTS_FILE"
POLL_SCHEDULE_PREFIX = SCHEDULE_PREFIXES[0]
TIMED_POLL = "sandbox.bench.load.export_queue_poll_timed"
SAMPLE_SECONDS = 1.0
STOP_SECONDS = 60  # a cluster finishes the polls it holds before it stops


def export_queue_poll_timed(client_id: int, scheduled_for: str) -> None:
    """The scheduled export poll, noting when it started against when it was due (django-q2 passes the
    schedule's next_run as `scheduled_for`); the sandboxes answer inside this worker."""
    from exports.tasks import export_queue_poll

    path = os.environ.get(STARTS_FILE_VARIABLE)
    if path:
        # One short append per poll: the workers of every cluster share the file without mixing lines.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, f"{scheduled_for} {timezone.now().isoformat()}\n".encode())
        finally:
            os.close(descriptor)
    with sandboxes_in_process(BENCH_BASE_URL):
        export_queue_poll(client_id, triggered_by="schedule")


@dataclass
class LoadResult:
    clients: int = 0
    clusters: int = 0
    workers: int = 0
    minutes: float = 0.0
    poll_minutes: int = DEFAULT_POLL_MINUTES
    lags: list[float] = field(default_factory=list)
    queue_depths: list[int] = field(default_factory=list)
    queue_depth_at_end: int = 0
    poll_tasks_failed: int = 0
    runs_succeeded: int = 0
    runs_failed: int = 0
    expenses_seeded: int = 0
    expenses_exported: int = 0
    expenses_failed: int = 0

    def lag(self, percent: int) -> float:
        """Nearest-rank percentile of the polls' lag, in seconds."""
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]

    def figures(self) -> dict[str, float | int]:
        return {
            "polls_started": len(self.lags),
            "lag_p50_seconds": round(self.lag(50), 2),
            "lag_p95_seconds": round(self.lag(95), 2),
            "lag_max_seconds": round(max(self.lags, default=0.0), 2),
            "exports_per_minute": round(self.expenses_exported / self.minutes, 1) if self.minutes else 0.0,
            "queue_depth_max": max(self.queue_depths, default=0),
            "queue_depth_at_end": self.queue_depth_at_end,
            "runs_succeeded": self.runs_succeeded,
            "runs_failed": self.runs_failed,
            "poll_tasks_failed": self.poll_tasks_failed,
            "expenses_seeded": self.expenses_seeded,
            "expenses_exported": self.expenses_exported,
            "expenses_failed": self.expenses_failed,
        }


def load_clients_seed(*, clients: int, expenses_per_client: int) -> list[Schedule]:
    """Seed the clients with their expenses waiting in Pleo and return their export-poll schedules, timed."""
    # Each client's booking settings queue a schedule refresh; run it here rather than leave hundreds of
    # tasks in the broker for the clusters to find when they start.
    with mock.patch.object(Conf, "SYNC", True):
        bench_clients_seed(prefix="load", clients=clients, expenses=clients * expenses_per_client, receipts=False)
    schedules_ensure()  # what `manage.py setup_schedules` does
    # Only the export polls: the hourly tax and tag syncs and the daily purge would blur the figures.
    Schedule.objects.exclude(name__startswith=POLL_SCHEDULE_PREFIX).delete()
    Schedule.objects.update(func=TIMED_POLL, intended_date_kwarg="scheduled_for")
    return list(Schedule.objects.order_by("pk"))


def _schedules_spread(schedules: list[Schedule], *, start: datetime) -> None:
    """Due times spread evenly over one poll interval from `start`, as after a portal has run a while."""
    for index, schedule in enumerate(schedules):
        offset = timedelta(minutes=schedule.minutes) * index / len(schedules)
        Schedule.objects.filter(pk=schedule.pk).update(next_run=start + offset)


def database_url() -> str:
    """This process's database as a URL, for the cluster processes (under pytest it is the test database)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(database['NAME']).resolve()}"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return (f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}")


def qclusters_start(*, count: int, env: dict, stderr=subprocess.DEVNULL) -> list[subprocess.Popen]:
    """`count` `manage.py qcluster` processes with `env`, each leading a process group of its own, so that
    stopping it reaches its worker processes too."""
    return [subprocess.Popen([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "qcluster"], env=env,
                             stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
            for _ in range(count)]


def qclusters_stop(processes: list[subprocess.Popen], *, timeout: float = STOP_SECONDS) -> None:
    """SIGTERM to each cluster's own process (it stops its workers once they finish their tasks, then exits; a
    SIGTERM to the whole group would kill the workers under it and it would never exit), then SIGKILL to the
    group of a cluster still running after `timeout`: no worker outlives its cluster holding a connection."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # what is left of the group: workers a dead cluster left behind
        process.wait()


def _clusters_start(*, count: int, workers: int, starts_file: Path, log_file: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "DEBUG": "true", "SANDBOX_ENABLED": "true", "DATABASE_URL": database_url(),
           "REDIS_URL": settings.REDIS_URL, "Q_WORKERS": str(workers), STARTS_FILE_VARIABLE: str(starts_file)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with log_file.open("ab") as log:
        return qclusters_start(count=count, env=env, stderr=log)


def _lags_read(path: Path) -> list[float]:
    if not path.exists():
        return []
    lags = []
    for line in path.read_text().splitlines():
        due, started = line.split()
        lags.append((datetime.fromisoformat(started) - datetime.fromisoformat(due)).total_seconds())
    return lags


def load_run(*, clients: int, expenses_per_client: int, minutes: float, clusters: int, workers: int,
             progress=None) -> LoadResult:
    """Seed, start the clusters, sample the broker's queue for `minutes`, stop them and count."""
    result = LoadResult(clients=clients, clusters=clusters, workers=workers, minutes=minutes)
    if progress:
        progress(f"seeding {clients} clients with {expenses_per_client} expenses each")
    schedules = load_clients_seed(clients=clients, expenses_per_client=expenses_per_client)
    result.poll_minutes = schedules[0].minutes
    broker = get_broker()
    with tempfile.TemporaryDirectory(prefix="portal-bench-load-") as directory:
        starts_file, log_file = Path(directory) / "starts.log", Path(directory) / "clusters.log"
        _schedules_spread(schedules, start=timezone.now())
        processes = _clusters_start(count=clusters, workers=workers, starts_file=starts_file, log_file=log_file)
        if progress:
            progress(f"{clusters} clusters of {workers} workers running for {minutes} minutes")
        try:
            deadline = time.monotonic() + minutes * 60
            while time.monotonic() < deadline:
                if any(process.poll() is not None for process in processes):
                    tail = log_file.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"A qcluster process stopped during the benchmark:\n{tail}")
                result.queue_depths.append(broker.queue_size())
                time.sleep(SAMPLE_SECONDS)
            result.queue_depth_at_end = broker.queue_size()
        finally:
            qclusters_stop(processes)
            # Polls still queued at the end would run against a dropped database next time; the command
            # checked that the queue was empty before it started, so these are all the benchmark's.
            broker.purge_queue()
        result.lags = _lags_read(starts_file)
    result.poll_tasks_failed = Task.objects.filter(func=TIMED_POLL, success=False).count()
    result.runs_succeeded = ExportRun.objects.filter(status__in=RUNS_THAT_REACHED_ODOO).count()
    result.runs_failed = ExportRun.objects.filter(status=ExportRunStatus.FAILED).count()
    result.expenses_seeded = ExportJobItem.objects.count()
    result.expenses_exported = ExportRecord.objects.filter(status=ExportRecordStatus.EXPORTED).count()
    result.expenses_failed = ExportRecord.objects.filter(status=ExportRecordStatus.FAILED).count()
    return result


def load_lines(result: LoadResult) -> list[str]:
    """One `name: value` line per figure."""
    return [f"{name}: {value}" for name, value in result.figures().items()]
