"""`manage.py bench_latency [--clients 4] [--rounds 5] [--poll-rounds 2] [--poll-minutes 1] [--skip-poll]`.

The latency benchmark: the time from an export job's creation in the Pleo sandbox to the job completed, p50 and
p95, with Pleo's webhook and with the poll alone, through this process's web server and one qcluster process
on the same database. It seeds clients, so it refuses the portal's data/portal.sqlite3 and a database that
already holds clients; `make bench-latency` runs it on a temporary SQLite file.
"""
import logging
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.core.servers.basehttp import get_internal_wsgi_application

from integrations.models import Client
from sandbox.bench import BENCH_LOG_LEVELS, loggers_quieted
from sandbox.bench.latency import EXPENSES_PER_JOB, SCHEDULER_CADENCE_SECONDS, latency_lines, latency_run

__all__ = ["Command"]

# The web server's request lines and the sandbox's line per delivery, on top of the other benchmarks' levels.
LOG_LEVELS = {**BENCH_LOG_LEVELS, "django.server": logging.ERROR, "sandbox.pleo.webhooks": logging.WARNING}


class Command(BaseCommand):
    help = "Time Pleo export jobs from creation to completed, with the webhook and with the poll alone."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=4, help="clients, one job each per round (default 4)")
        parser.add_argument("--rounds", type=int, default=5, help="webhook rounds (default 5)")
        parser.add_argument("--poll-rounds", type=int, default=2, help="poll-only rounds (default 2)")
        parser.add_argument("--poll-minutes", type=int, default=1,
                            help="the clients' poll interval in the poll-only mode (default 1, django-q2's shortest)")
        parser.add_argument("--skip-poll", action="store_true", help="the webhook mode only, for a quick run")

    def handle(self, *args, **options):
        if min(options["clients"], options["rounds"], options["poll_rounds"], options["poll_minutes"]) < 1:
            raise CommandError("--clients, --rounds, --poll-rounds and --poll-minutes must be at least 1.")
        name = str(settings.DATABASES["default"].get("NAME", ""))
        if Path(name).resolve() == (Path(settings.DATA_DIR) / "portal.sqlite3").resolve():
            raise CommandError("The benchmark seeds clients; it never runs on the portal's data/portal.sqlite3. "
                               "Run `make bench-latency`, or set DATABASE_URL to a throwaway database.")
        call_command("migrate", interactive=False, verbosity=0)
        if Client.objects.exists():
            raise CommandError("This database already holds clients; the benchmark needs a throwaway one "
                               "(make bench-latency uses a temporary SQLite file).")
        minutes = options["poll_minutes"]
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        for line in [
            f"# {options['clients']} clients on emulated Odoo 17, {EXPENSES_PER_JOB} expenses per Pleo export job, "
            f"on {engine}; latency: the sandbox job's completed_at minus its created_at",
            "# processes: this one serves the portal (webhook receiver and both sandboxes) over a loopback socket; "
            f"one qcluster ({settings.Q_CLUSTER['workers']} workers) runs the exports over HTTP",
            f"# webhook: {options['rounds']} rounds, each one job per client created together, the next round once "
            "all are done (Pleo runs one job per company at a time)",
        ]:
            self.stdout.write(line)
        if not options["skip_poll"]:
            for line in [
                f"# poll only: webhook unsubscribed, each client polled every {minutes} minute(s) (--poll-minutes); "
                f"{options['poll_rounds']} rounds, jobs created at moments spread evenly over the interval",
                "# poll only: a job waits for its client's next poll, on average half the interval, at most the "
                f"interval plus django-q2's scheduler cadence (up to {SCHEDULER_CADENCE_SECONDS} s); at the portal's "
                f"default of 5 minutes that wait, most of the figure, is {5 / minutes:g} times as long as here",
            ]:
                self.stdout.write(line)
        self.stdout.write("# percentiles are nearest-rank: with fewer than 20 jobs in a mode, p95 is its maximum")
        # Loading the WSGI app (config.wsgi) runs django.setup() again, which resets the loggers: load it first.
        get_internal_wsgi_application()
        try:
            with loggers_quieted(LOG_LEVELS):
                results = latency_run(clients=options["clients"], rounds=options["rounds"],
                                      poll_rounds=options["poll_rounds"], poll_minutes=minutes,
                                      skip_poll=options["skip_poll"], progress=lambda text: self.stderr.write(
                                          f"... {text}"))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        for line in latency_lines(results=results):
            self.stdout.write(line)
