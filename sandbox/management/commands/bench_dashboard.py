"""`manage.py bench_dashboard [--clients 500] [--records 1000000] [--staff-clients 50] [--repeat 5]`.

The dashboard benchmark: seeds a firm on PostgreSQL (its export history with generate_series), then times
/admin/ as a superuser and as a staff member, and prints one figure per line as `name: value` (lines
starting with `#` say what was measured). It seeds clients, so it refuses a database that already holds
some; `make bench-dashboard` creates a throwaway database and drops it afterwards.
"""
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection

from integrations.models import Client
from sandbox.bench import loggers_quieted
from sandbox.bench.dashboard import RECORDS_PER_RUN, TARGET_MS, bench_dashboard_run

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Benchmark the dashboard (/admin/) with many clients and a large export history, on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=500, help="clients of the firm (default 500)")
        parser.add_argument("--records", type=int, default=1_000_000, help="export records (default 1,000,000)")
        parser.add_argument("--staff-clients", type=int, default=50,
                            help="clients of the staff member timed second (default 50)")
        parser.add_argument("--repeat", type=int, default=5, help="timed requests after one warm-up (default 5)")

    def handle(self, *args, **options):
        if min(options["clients"], options["records"], options["staff_clients"], options["repeat"]) < 1:
            raise CommandError("--clients, --records, --staff-clients and --repeat must be at least 1.")
        if options["staff_clients"] > options["clients"]:
            raise CommandError("--staff-clients cannot be more than --clients.")
        if connection.vendor != "postgresql":
            raise CommandError("The dashboard benchmark seeds with PostgreSQL's generate_series: set DATABASE_URL to "
                               "a throwaway PostgreSQL database (make bench-dashboard creates one).")
        call_command("migrate", interactive=False, verbosity=0)
        if Client.objects.exists():
            raise CommandError("This database already holds clients; the benchmark needs a throwaway one "
                               "(make bench-dashboard creates one).")
        database = settings.DATABASES["default"]["NAME"]
        self.stdout.write(f"# {options['clients']} clients, {options['records']} export records ({RECORDS_PER_RUN} "
                          f"per run, attempts in proportion), 48 sync runs per client, on PostgreSQL ({database})")
        self.stdout.write(f"# /admin/ through django.test.Client: 1 warm-up then the median of {options['repeat']} "
                          f"requests, as a superuser and as two staff members, one with every client, one with "
                          f"{options['staff_clients']}; target: the superuser's page under {TARGET_MS} ms, the same "
                          "number of queries for both staff members (a staff member's page has two queries more "
                          "than a superuser's: Django reads their permissions)")
        with loggers_quieted():
            lines = bench_dashboard_run(clients=options["clients"], records=options["records"],
                                        staff_clients=options["staff_clients"], repeat=options["repeat"],
                                        progress=lambda text: self.stderr.write(f"... {text}"))
        for line in lines:
            self.stdout.write(line)
