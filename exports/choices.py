"""Choices of the exports app, backed by CheckConstraints where a bad value would corrupt the history."""
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ExportRecordStatus", "ExportRunStatus"]


class ExportRecordStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXPORTING = "exporting", _("Exporting")
    EXPORTED = "exported", _("Exported")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class ExportRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
