"""The latency benchmark: its percentile, table and staggered job moments, and a tiny real run (web server,
webhook deliveries over a socket, one qcluster process) in a process of its own on a throwaway SQLite file."""
import math
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings

from sandbox.bench.latency import ModeResult, latency_lines, percentile, poll_moments


def test_percentile_is_nearest_rank_so_p95_of_few_jobs_is_their_maximum():
    values = [3.0, 1.0, 2.0, 4.0]

    assert percentile(values, 50) == 2.0
    assert percentile(values, 95) == 4.0
    assert percentile([7.5], 50) == percentile([7.5], 95) == 7.5
    assert percentile(list(range(1, 101)), 95) == 95
    assert math.isnan(percentile([], 50))


def test_the_table_says_each_mode_and_whether_the_webhook_target_holds():
    webhook = ModeResult(mode="webhook", latencies=[1.0, 1.5, 2.0], deliveries=Counter({"202": 3}),
                         triggers=Counter({"Pleo webhook": 3}))
    polled = ModeResult(mode="poll every 1 min", latencies=[12.0, 41.0], triggers=Counter({"schedule": 2}))

    lines = latency_lines(results=[webhook, polled])

    assert lines[0].split() == ["mode", "jobs", "errors", "failed", "timeout", "p50", "s", "p95", "s", "max", "s"]
    assert lines[1].split() == ["webhook", "3", "0", "0", "0", "1.50", "2.00", "2.00"]
    assert lines[2].split() == ["poll", "every", "1", "min", "2", "0", "0", "0", "12.00", "41.00", "41.00"]
    assert "target webhook p95 < 10 s: yes" in lines
    assert "webhook: sandbox deliveries by the portal's answer: 202: 3; export runs of the jobs, started by: " \
           "Pleo webhook: 3" in lines
    assert any(line.startswith("poll every 1 min: sandbox deliveries by the portal's answer: none") for line in lines)


@pytest.mark.parametrize("webhook", [
    ModeResult(mode="webhook", latencies=[1.0, 12.0]),  # p95 over the target
    ModeResult(mode="webhook", latencies=[1.0], timed_out=1),  # a job never completed
    ModeResult(mode="webhook", latencies=[1.0], failed=1),
    ModeResult(mode="webhook"),
], ids=["slow", "timed_out", "failed", "no_jobs"])
def test_the_webhook_target_fails_when_slow_or_when_a_job_did_not_complete(webhook):
    assert "target webhook p95 < 10 s: no" in latency_lines(results=[webhook])


def test_poll_moments_spread_every_job_of_every_round_evenly_over_the_interval():
    anchor, interval, clients, rounds = 1000.0, 60.0, 4, 2
    phases = []
    for round_index in range(rounds):
        start = anchor + 95.0 + 130.0 * round_index  # rounds start wherever the previous one ended
        moments = poll_moments(start=start, anchor=anchor, interval=interval, clients=clients,
                               round_index=round_index, rounds=rounds)
        assert all(start <= moment < start + interval for moment in moments)
        phases += [((moment - anchor) % interval) / interval for moment in moments]

    assert sorted(phases) == pytest.approx([(index + 0.5) / 8 for index in range(8)])


@pytest.mark.slow
def test_a_tiny_real_run_books_through_the_webhook_and_prints_the_table(tmp_path):
    """The command in a process of its own: it serves the portal and starts a qcluster, which must share a
    database file with it (the test database is not one), and runs with the portal's settings, not the test
    settings' inline tasks."""
    env = {**os.environ, "DEBUG": "true", "SANDBOX_ENABLED": "true",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}", "REDIS_URL": "", "PORTAL_PUBLIC_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "manage.py", "bench_latency", "--clients", "1", "--rounds", "2",
                           "--skip-poll"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    [row] = [line.split() for line in lines if line.startswith("webhook ")]
    assert row[:5] == ["webhook", "2", "0", "0", "0"], lines  # jobs, with errors, failed, timed out
    assert float(row[5]) <= float(row[6]) <= float(row[7])
    assert any(line in ("target webhook p95 < 10 s: yes", "target webhook p95 < 10 s: no") for line in lines)
    assert "webhook: sandbox deliveries by the portal's answer: 202: 2; export runs of the jobs, started by: " \
           "Pleo webhook: 2" in lines
    assert not any(line.startswith("poll every") for line in lines)
