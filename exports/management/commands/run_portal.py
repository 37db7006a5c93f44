"""Runs the web portal and its django-q2 cluster side by side: the one command of a local set-up."""
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import BaseCommand, call_command

from exports.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Migrate, put the schedules in place, then run the web server and a qcluster together."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--no-demo", action="store_true", help="do not seed the demo on an empty portal")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if settings.SANDBOX_ENABLED and not options["no_demo"]:
            call_command("demo_seed", base_url=f"http://{options['addr']}:{options['port']}")
        schedules_ensure()
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"])
        try:
            call_command("runserver", f"{options['addr']}:{options['port']}", use_reloader=False)
        finally:
            cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=30)
