"""`manage.py verify_client <client>`: the Verify report on the command line; exit 1 when a check fails."""
from django.core.management import BaseCommand, CommandError

from integrations.errors import PortalError
from integrations.selectors import client_by_name_or_id
from integrations.verify_odoo import odoo_connection_verify
from integrations.verify_pleo import pleo_connection_verify

SYMBOL = {True: "PASS", False: "FAIL", None: "SKIP"}


class Command(BaseCommand):
    help = "Verify a client's Odoo and Pleo connections and print the check report."

    def add_arguments(self, parser):
        parser.add_argument("client", help="client name or id")

    def handle(self, *args, **options):
        try:
            client = client_by_name_or_id(options["client"])
        except PortalError as exc:
            raise CommandError(str(exc)) from exc
        all_passed = True
        for attribute, verify in (("odoo_connection", odoo_connection_verify),
                                  ("pleo_connection", pleo_connection_verify)):
            connection = getattr(client, attribute, None)
            label = attribute.split("_")[0].capitalize()
            if connection is None:
                self.stdout.write(f"{label}: not set up")
                all_passed = False
                continue
            report = verify(connection=connection)
            all_passed &= report.passed
            self.stdout.write(f"{label}: {'all required checks passed' if report.passed else 'checks failed'}")
            for check in report.checks:
                optional = "" if check.required else " (optional)"
                detail = f": {check.detail}" if check.detail else ""
                self.stdout.write(f"  [{SYMBOL[check.passed]}] {check.title}{optional}{detail}")
                if check.passed is False and check.fix:
                    self.stdout.write(f"         → {check.fix}")
        if not all_passed:
            raise CommandError(f"Verification of {client} failed.", returncode=1)
