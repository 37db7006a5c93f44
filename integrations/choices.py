from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ClientStatus", "CheckStatus", "ClientActionKind", "ClientActionStatus"]


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")


class CheckStatus(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not checked")


class ClientActionKind(models.TextChoices):
    VERIFY = "verify", _("Verify")
    SYNC = "sync", _("Sync now")
    EXPORT = "export", _("Export now")
    DRIFT = "drift", _("Check Odoo for changes")


class ClientActionStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")

    @classmethod
    def busy(cls) -> list[str]:
        return [cls.QUEUED, cls.RUNNING]


class WebhookStatus(models.TextChoices):
    """The Pleo connection's subscription to new export jobs (integrations/webhooks.py)."""

    NONE = "none", _("Not subscribed")
    ACTIVE = "active", _("Active")
    FAILED = "failed", _("Not working")
