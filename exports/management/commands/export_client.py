"""`manage.py export_client <client> [--dry-run]`: one export now; exit 1 when an item failed."""
from django.core.management import BaseCommand, CommandError

from exports.choices import ExportRecordStatus
from exports.selectors import export_preview_entries
from exports.services import export_queue_poll
from integrations.errors import PortalError
from integrations.selectors import client_by_name_or_id


class Command(BaseCommand):
    help = "Export a client's pending Pleo expenses to Odoo now (--dry-run: show what would be booked)."

    def add_arguments(self, parser):
        parser.add_argument("client", help="client name or id")
        parser.add_argument("--dry-run", action="store_true",
                            help="print the preview of every pending item; write nothing")

    def handle(self, *args, **options):
        try:
            client = client_by_name_or_id(options["client"])
            if options["dry_run"]:
                return self.preview(client)
            runs = export_queue_poll(client_id=client.pk, triggered_by="command line")
        except PortalError as exc:
            raise CommandError(str(exc)) from exc
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
        entries = export_preview_entries(client=client)
        for entry in entries:
            self.stdout.write(entry.summary)
            if entry.refusal:
                self.stdout.write(f"  would FAIL: {entry.refusal}")
                continue
            if entry.skip_reason:
                self.stdout.write(f"  would skip: {entry.skip_reason}")
                continue
            self.stdout.write(f"  {entry.record_type} in {entry.journal}, {entry.date}, {entry.reference}, "
                              f"{entry.state_after_export}" + (f", partner {entry.partner}" if entry.partner else ""))
            for line in entry.lines:
                amount = (f"{line.unit_price} × {line.quantity}" if line.unit_price is not None
                          else f"debit {line.debit or 0} / credit {line.credit or 0}")
                foreign = f" ({line.amount_in_currency} {line.currency})" if line.currency else ""
                extras = "".join([f", tax {', '.join(line.taxes)}" if line.taxes else "",
                                  f", analytic {', '.join(line.analytic)}" if line.analytic else ""])
                self.stdout.write(f"    {line.account}: {amount}{foreign}{extras}")
            if entry.payment:
                self.stdout.write(f"    {entry.payment}")
        if not entries:
            self.stdout.write("Nothing waiting in Pleo's export queue.")
        if any(entry.refusal for entry in entries):
            raise CommandError("Some items would fail.", returncode=1)
