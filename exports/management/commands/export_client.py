"""`manage.py export_client <client> [--dry-run]`: one export now; exit 1 when an item failed."""
from django.core.management import BaseCommand, CommandError

from exports.choices import ExportRecordStatus
from exports.services import export_preview, export_queue_poll
from integrations.errors import PortalError
from integrations.selectors import client_by_name_or_id


class Command(BaseCommand):
    help = "Export a client's pending Pleo expenses to Odoo now (--dry-run: show what would be booked)."

    def add_arguments(self, parser):
        parser.add_argument("client", help="client name or id")
        parser.add_argument("--dry-run", action="store_true", help="print the preview of every pending item; write nothing")

    def handle(self, *args, **options):
        try:
            client = client_by_name_or_id(options["client"])
            if options["dry_run"]:
                return self.preview(client)
            runs = export_queue_poll(client_id=client.pk, triggered_by="command line")
        except PortalError as exc:
            raise CommandError(str(exc))
        failed = 0
        for run in runs:
            self.stdout.write(f"Pleo job {run.pleo_job_id}: {run.exported_count} exported, {run.failed_count} failed, "
                              f"{run.skipped_count} skipped ({run.odoo_calls} Odoo calls, {run.pleo_calls} Pleo calls)")
            for record in run.records.filter(status=ExportRecordStatus.FAILED):
                self.stdout.write(f"  FAILED {record}: {record.last_error}")
            failed += run.failed_count
        if not runs:
            self.stdout.write("Nothing waiting in Pleo's export queue.")
        if failed:
            raise CommandError(f"{failed} item(s) failed.", returncode=1)

    def preview(self, client):
        rows = export_preview(client=client)
        for row in rows:
            self.stdout.write(row.summary)
            if row.refusal:
                self.stdout.write(f"  would FAIL: {row.refusal}")
            elif row.lines:
                self.stdout.write(f"  {row.plan.move_type} {row.plan.reference}, {'posted' if row.plan.post else 'draft'}")
                for line in row.lines:
                    self.stdout.write(f"    {line}")
            else:
                self.stdout.write(f"  would skip: {row.plan.reason}")
        if not rows:
            self.stdout.write("Nothing waiting in Pleo's export queue.")
        if any(row.refusal for row in rows):
            raise CommandError("Some items would fail.", returncode=1)
