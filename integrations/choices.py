from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ClientStatus", "CheckStatus"]


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")


class CheckStatus(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not checked")
