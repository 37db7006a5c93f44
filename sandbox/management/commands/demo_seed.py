"""`manage.py demo_seed`: three demo clients wired to the sandboxes, on an empty portal."""
from django.core.management import BaseCommand

from sandbox.demo import demo_seed


class Command(BaseCommand):
    help = "Seed the demo clients, their emulated Odoo databases and Pleo companies (only on an empty portal)."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="where the portal (and so its sandboxes) answers")

    def handle(self, *args, **options):
        summary = demo_seed(base_url=options["base_url"])
        if summary is None:
            self.stdout.write("The portal has clients already; the demo was not seeded.")
            return
        self.stdout.write(f"Demo seeded: {', '.join(summary.clients)} with {summary.expenses} Pleo expenses waiting.")
        if summary.username:
            self.stdout.write(f"Log in at {options['base_url']}/admin/ as “{summary.username}” "
                              f"with the password “{summary.password}” (set just now).")
