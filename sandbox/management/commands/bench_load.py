"""`manage.py bench_load [--clients 500] [--expenses 3] [--minutes 6] [--clusters 2] [--workers 2]`: the load benchmark.

Seeds clients on 5-minute export schedules, starts qcluster processes for a bounded time and prints one
figure per line as `name: value` (lines starting with `#` say what was measured). It seeds clients, so it
refuses a database that already holds some; `make bench-load` creates a throwaway PostgreSQL database and
uses Redis db 12.
"""
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django_q.brokers import get_broker

from integrations.models import Client
from sandbox.bench import loggers_quieted
from sandbox.bench.load import load_lines, load_run

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Benchmark the export schedules under load: many clients, several qcluster processes, a bounded time."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=500, help="clients, each polled every 5 minutes")
        parser.add_argument("--expenses", type=int, default=3, help="expenses waiting in Pleo per client (default 3)")
        parser.add_argument("--minutes", type=float, default=6, help="how long the clusters run (default 6)")
        parser.add_argument("--clusters", type=int, default=2, help="qcluster processes (default 2)")
        parser.add_argument("--workers", type=int, default=2, help="workers per qcluster process (default 2)")

    def handle(self, *args, **options):
        if min(options["clients"], options["clusters"], options["workers"]) < 1 or options["expenses"] < 0:
            raise CommandError("--clients, --clusters and --workers must be at least 1, --expenses at least 0.")
        if options["minutes"] <= 0:
            raise CommandError("--minutes must be more than 0.")
        call_command("migrate", interactive=False, verbosity=0)
        if Client.objects.exists():
            raise CommandError("This database already holds clients; the benchmark needs a throwaway one "
                               "(make bench-load creates one).")
        queued = get_broker().queue_size()
        if queued:
            raise CommandError(f"The task queue already holds {queued} task(s); the benchmark needs a broker of "
                               f"its own (make bench-load uses Redis db 12).")
        with loggers_quieted():
            result = load_run(clients=options["clients"], expenses_per_client=options["expenses"],
                              minutes=options["minutes"], clusters=options["clusters"], workers=options["workers"],
                              progress=lambda text: self.stderr.write(f"... {text}"))
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        broker = "Redis" if settings.REDIS_URL else "ORM"
        for line in [
            f"# {result.clients} clients, {options['expenses']} expenses each waiting in Pleo, polled every "
            f"{result.poll_minutes} minutes, due times spread over the first interval; {result.clusters} qcluster "
            f"processes of {result.workers} workers for {result.minutes} minutes on {engine} with the {broker} broker",
            "# transport: the emulated Pleo and Odoo answer inside each worker (sandbox.transport, no socket), so "
            "their CPU counts against the workers and there is no network wait: real Pleo and Odoo run elsewhere",
            "# lag: a poll's start in its worker minus its schedule's next_run; it includes django-q2's scheduler "
            "cadence (each cluster looks at due schedules about every 30 seconds)",
            "# exports_per_minute: expenses exported per minute of the run; runs: export runs (one per Pleo job); "
            "poll_tasks_failed includes polls turned away by a client's lock",
        ]:
            self.stdout.write(line)
        for line in load_lines(result):
            self.stdout.write(line)
