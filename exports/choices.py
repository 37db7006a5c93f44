"""Choices of the exports app, backed by CheckConstraints where a bad value would corrupt the history."""
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ExportRecordStatus", "ExportRunStatus", "RUNS_THAT_REACHED_ODOO", "FINISHED_RUNS", "OdooDrift"]


class ExportRecordStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXPORTING = "exporting", _("Exporting")
    EXPORTED = "exported", _("Exported")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class OdooDrift(models.TextChoices):
    """What happened in Odoo to an exported record since it was booked, as the drift check found it."""

    CANCELLED = "cancelled", _("Cancelled in Odoo")
    DELETED = "deleted", _("Deleted in Odoo")
    DRAFT = "draft", _("Reset to draft in Odoo")
    AMOUNT = "amount", _("Total changed in Odoo")


class ExportRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    # The run did its work but some expenses failed (Pleo's "completed_with_errors"); FAILED is a run that
    # stopped itself (Odoo down, a key refused), the one the job's retry limit counts.
    WITH_FAILURES = "failures", _("Finished with failures")
    FAILED = "failed", _("Failed")


# Runs that booked in Odoo (some expenses may have failed); and every run that is over.
RUNS_THAT_REACHED_ODOO = (ExportRunStatus.SUCCEEDED, ExportRunStatus.WITH_FAILURES)
FINISHED_RUNS = (*RUNS_THAT_REACHED_ODOO, ExportRunStatus.FAILED)
