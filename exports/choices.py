"""Choices of the exports app, backed by CheckConstraints where a bad value would corrupt the history."""
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ExportRecordStatus", "ExportRunStatus", "OdooDrift"]


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
    FAILED = "failed", _("Failed")
