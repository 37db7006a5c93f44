"""`manage.py bench_exports [--clients 10] [--expenses 1000] [--database-url URL]`: the export benchmark.

Prints one figure per line as `name: value` (lines starting with `#` say what was measured). It seeds
clients, so it only runs on a throwaway database: without --database-url and DATABASE_URL it creates a
temporary SQLite file and runs itself again on it; it refuses the portal's own data/portal.sqlite3 and
any database that already holds clients.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection

from sandbox.bench import loggers_quieted
from sandbox.bench.exports import BENCH_KINDS, bench_lines, bench_run

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Benchmark the export: batched and naive, with and without receipts, against the in-process sandboxes."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=10, help="clients per case (default 10)")
        parser.add_argument("--expenses", type=int, default=1000, help="expenses per case, spread over the clients")
        parser.add_argument("--database-url", help="a throwaway database to seed and migrate (default: a temporary "
                                                   "SQLite file)")

    def handle(self, *args, **options):
        if options["clients"] < 1 or options["expenses"] < 1:
            raise CommandError("--clients and --expenses must be at least 1.")
        url = options["database_url"]
        if url and url != os.environ.get("DATABASE_URL"):
            return self._rerun(options, url)
        if not url and "DATABASE_URL" not in os.environ:
            with tempfile.TemporaryDirectory(prefix="portal-bench-") as directory:
                return self._rerun(options, f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
        self._check_throwaway()
        call_command("migrate", interactive=False, verbosity=0)
        with loggers_quieted():
            self._bench(options)

    def _rerun(self, options, url: str) -> None:
        # Settings, and so the database, are fixed at start-up: another process is the honest way to switch.
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "SANDBOX_ENABLED": "true"}
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_exports",
                   "--clients", str(options["clients"]), "--expenses", str(options["expenses"]), "--database-url", url]
        code = subprocess.run(command, env=env).returncode
        if code:
            raise CommandError(f"The benchmark failed (exit code {code}).", returncode=code)

    def _check_throwaway(self) -> None:
        name = str(settings.DATABASES["default"].get("NAME", ""))
        if Path(name).resolve() == (Path(settings.DATA_DIR) / "portal.sqlite3").resolve():
            raise CommandError("The benchmark seeds clients; it never runs on the portal's data/portal.sqlite3. "
                               "Leave out DATABASE_URL (a temporary database is used) or pass --database-url.")
        if "integrations_client" in connection.introspection.table_names():
            from integrations.models import Client

            if Client.objects.exists():
                raise CommandError("This database already holds clients; the benchmark needs a throwaway one.")

    def _bench(self, options) -> None:
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"# {options['clients']} clients (emulated Odoo 16, 17, 18 and 19 in turn), "
                          f"{options['expenses']} expenses per case on {engine}, fresh clients per case")
        self.stdout.write("# transport: in-process sandboxes (integrations.transport.http_session patched to "
                          "sandbox.transport.in_process_session), no socket")
        self.stdout.write(f"# kinds, cycled: {', '.join(BENCH_KINDS)}")
        results = bench_run(clients=options["clients"], expenses=options["expenses"],
                            progress=lambda text: self.stderr.write(f"... {text}"))
        for result in results:
            for error in result.errors[:5]:
                self.stdout.write(f"# {result.case.name} error: {error}")
        for line in bench_lines(results):
            self.stdout.write(line)
