"""State of the emulated Odoo servers, kept in the database so every process sees the same Odoo."""
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "EmulatedDatabase",
    "EmulatedApiKey",
    "EmulatedRecord",
    "EmulatedFault",
    "FaultKind",
]


class EmulatedDatabase(models.Model):
    """One Odoo database (`db` argument of every call), answering like Odoo 16, 17, 18 or 19."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    version = models.PositiveSmallIntegerField(
        _("Odoo version"), choices=[(16, "16.0"), (17, "17.0"), (18, "18.0"), (19, "19.0")])
    # Odoo's "today" decides default move dates and where posting in a locked period lands;
    # tests pin it to replay the recordings, empty means the real date.
    today = models.DateField(_("today"), null=True, blank=True)
    # Next id per model, like PostgreSQL sequences: a refused create still uses up its id.
    sequences = models.JSONField(_("id sequences"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("emulated Odoo database")
        verbose_name_plural = _("emulated Odoo databases")

    def __str__(self):
        return f"{self.name} (Odoo {self.version})"


class EmulatedApiKey(models.Model):
    database = models.ForeignKey(
        to="sandbox_odoo.EmulatedDatabase",
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("database"),
    )
    uid = models.PositiveIntegerField(_("user id"))
    key = models.CharField(_("API key"), max_length=200)

    class Meta:
        ordering = ["database", "uid"]
        verbose_name = _("emulated API key")
        verbose_name_plural = _("emulated API keys")
        constraints = [
            models.UniqueConstraint(fields=["database", "key"], name="%(app_label)s_%(class)s_unique_key"),
        ]

    def __str__(self):
        # The key itself never appears in a repr or a log line.
        return f"API key of uid {self.uid} on {self.database_id}"


class EmulatedRecord(models.Model):
    """One Odoo record: `values` holds its stored fields (money as strings, many2one as ids)."""

    database = models.ForeignKey(
        to="sandbox_odoo.EmulatedDatabase",
        on_delete=models.CASCADE,
        related_name="records",
        verbose_name=_("database"),
    )
    model = models.CharField(_("model"), max_length=100)
    record_id = models.PositiveIntegerField(_("record id"))
    # The parent record (move of a journal item, record of an attachment) so a move's lines load
    # without scanning every line of the database.
    parent_id = models.PositiveIntegerField(_("parent id"), null=True, blank=True)
    values = models.JSONField(_("values"), default=dict)

    class Meta:
        ordering = ["database", "model", "record_id"]
        verbose_name = _("emulated record")
        verbose_name_plural = _("emulated records")
        constraints = [
            models.UniqueConstraint(
                fields=["database", "model", "record_id"], name="%(app_label)s_%(class)s_unique_record"
            ),
        ]
        indexes = [
            models.Index(fields=["database", "model", "parent_id"], name="sandbox_odoo_record_parent"),
        ]

    def __str__(self):
        return f"{self.model}({self.record_id})"


class FaultKind(models.TextChoices):
    TIMEOUT = "timeout", _("Sleep, then answer 504 (or hang)")
    HTTP_502 = "http_502", _("HTTP 502 Bad Gateway")
    HTTP_503 = "http_503", _("HTTP 503 Service Unavailable")
    HTML_PAGE = "html_page", _("An HTML page instead of JSON")
    MALFORMED_JSON = "malformed_json", _("A truncated JSON body")
    AFTER_COMMIT_ERROR = "after_commit_error", _("Perform the call, then answer 504")
    CONNECTION_RESET = "connection_reset", _("The connection drops before an answer")
    READ_TIMEOUT = "read_timeout", _("No answer within the caller's time limit")
    ACCESS_DENIED = "access_denied", _("The login or API key is refused")
    DELAY = "delay", _("Sleep, then answer normally (a slow Odoo)")


class EmulatedFault(models.Model):
    """"The next `count` calls matching this rule fail": lets reliability tests break Odoo on cue."""

    database = models.ForeignKey(
        to="sandbox_odoo.EmulatedDatabase",
        on_delete=models.CASCADE,
        related_name="faults",
        verbose_name=_("database"),
    )
    service = models.CharField(_("service"), max_length=20, blank=True, help_text=_("Empty matches any."))
    model = models.CharField(_("model"), max_length=100, blank=True, help_text=_("Empty matches any."))
    method = models.CharField(_("method"), max_length=100, blank=True, help_text=_("Empty matches any."))
    kind = models.CharField(_("kind"), max_length=20, choices=FaultKind.choices)
    count = models.PositiveIntegerField(_("calls left to fail"), default=1)
    seconds = models.FloatField(_("seconds to sleep"), default=0)
    after_commit = models.BooleanField(_("after the call is done"), default=False,
                                       help_text=_("Perform and commit the call, then fail: the answer is lost."))
    stays_down = models.BooleanField(_("stays down"), default=False,
                                     help_text=_("Once this fault has struck, every call fails the same way "
                                                 "until the faults are cleared."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["database", "created_at", "id"]
        verbose_name = _("emulated fault")
        verbose_name_plural = _("emulated faults")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=FaultKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self):
        target = ".".join(part for part in (self.service, self.model, self.method) if part) or "any call"
        return f"{self.kind} x{self.count} on {target}"
