"""`manage.py setup_schedules`: put every client's django-q2 schedules in place (also run on deploy)."""
from django.core.management.base import BaseCommand

from exports.schedules import schedules_ensure

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Create or update the export-queue poll and sync schedules of every client; remove those of deleted clients."

    def handle(self, *args, **options):
        count = schedules_ensure()
        self.stdout.write(self.style.SUCCESS(f"{count} schedule(s) in place."))
