"""Runs the web portal and its django-q2 cluster side by side: the one command of a local set-up."""
import os
import signal
import subprocess
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command

from exports.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Migrate, put the schedules in place, then run the web server and a qcluster together."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--no-demo", action="store_true", help="do not seed the demo on an empty portal")

    def handle(self, *args, **options):
        address = f"http://{options['addr']}:{options['port']}"
        if settings.SANDBOX_ENABLED and not settings.PORTAL_PUBLIC_URL:
            # The demo's stand-in Pleo delivers its webhooks here; the cluster (Verify) learns it too.
            settings.PORTAL_PUBLIC_URL = os.environ["PORTAL_PUBLIC_URL"] = address
        call_command("migrate", interactive=False, verbosity=0)
        if settings.SANDBOX_ENABLED and not options["no_demo"]:
            call_command("demo_seed", base_url=address)
        self.stdout.write(self._how_to_log_in(address))
        schedules_ensure()
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"])
        try:
            call_command("runserver", f"{options['addr']}:{options['port']}", use_reloader=False)
        finally:
            cluster.send_signal(signal.SIGTERM)
            cluster.wait(timeout=30)

    @staticmethod
    def _how_to_log_in(address: str) -> str:
        """Said on every start, not only the first: who can log in, and how to set a new password (never one)."""
        python = os.path.relpath(sys.executable)
        python = sys.executable if python.startswith("..") else python
        administrators = list(get_user_model().objects.filter(is_superuser=True, is_active=True)
                              .order_by("date_joined", "pk").values_list("username", flat=True)[:3])
        if not administrators:
            return (f"No one can log in at {address}/admin/ yet: make an administrator with "
                    f"`{python} manage.py createsuperuser`.")
        names = " or ".join(f"“{name}”" for name in administrators)
        return (f"Log in at {address}/admin/ as {names}. Password forgotten? Set a new one with "
                f"`{python} manage.py changepassword {administrators[0]}`.")
