"""`manage.py purge_export_history [--dry-run]`: remove the export history past EXPORT_HISTORY_RETENTION_DAYS."""
from django.conf import settings
from django.core.management.base import BaseCommand

from exports.retention import export_history_cutoff, export_history_purge

__all__ = ["Command"]


class Command(BaseCommand):
    help = ("Delete settled export records, their attempts and the runs left empty that are older than "
            "EXPORT_HISTORY_RETENTION_DAYS (0 keeps everything). Also runs daily on the schedule.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")

    def handle(self, *args, **options):
        cutoff = export_history_cutoff()
        if cutoff is None:
            self.stdout.write("EXPORT_HISTORY_RETENTION_DAYS is 0: the export history is kept forever; "
                              "nothing deleted.")
            return
        counts = export_history_purge(dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"{verb} {counts} last changed before {cutoff:%Y-%m-%d} "
                          f"(retention {settings.EXPORT_HISTORY_RETENTION_DAYS} days).")
