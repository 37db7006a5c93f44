"""The export history: one run per Pleo export job processed, one record per Pleo accounting entry.

Both are written only by exports.services and never edited from the admin: an auditor must be able
to read years later what was sent to Odoo, what came back, and what Pleo was told.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exports.item_types import TYPE_LABELS
from exports.choices import ExportRecordStatus, ExportRunStatus, OdooDrift
from integrations.models import ClientOwnedModel, ClientOwnedQuerySet, TimeStampedModel
from integrations.formats import day, money

__all__ = ["ExportRun", "ExportRecord", "ExportAttempt", "ExportLock"]


class ExportRun(ClientOwnedModel):
    """One Pleo export job processed for one client (NetBox's JobRunner shape, C11)."""

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="export_runs", verbose_name=_("client")
    )
    pleo_job_id = models.CharField(_("Pleo export job"), max_length=36, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportRunStatus.choices, default=ExportRunStatus.QUEUED, editable=False
    )
    triggered_by = models.CharField(_("started by"), max_length=200, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)
    item_count = models.PositiveIntegerField(_("items"), default=0, editable=False)
    exported_count = models.PositiveIntegerField(_("exported"), default=0, editable=False)
    failed_count = models.PositiveIntegerField(_("failed"), default=0, editable=False)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0, editable=False)
    odoo_calls = models.PositiveIntegerField(_("Odoo calls"), default=0, editable=False)
    pleo_calls = models.PositiveIntegerField(_("Pleo calls"), default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export run")
        verbose_name_plural = _("export runs")
        indexes = [models.Index(fields=["client", "created_at"], name="exports_run_client_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportRunStatus.values), name="%(app_label)s_%(class)s_valid_status"
            ),
        ]

    def __str__(self) -> str:
        return f"Export run {self.pk} of {self.client}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class ExportRecord(ClientOwnedModel):
    """One Pleo accounting entry and what became of it in Odoo: the auditor's line (C9)."""

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="export_records", verbose_name=_("client")
    )
    pleo_accounting_entry_id = models.CharField(_("Pleo accounting entry"), max_length=36, editable=False)
    pleo_job_id = models.CharField(_("Pleo export job"), max_length=36, blank=True, editable=False)
    export_run = models.ForeignKey(
        to="exports.ExportRun", on_delete=models.PROTECT, related_name="records", null=True, blank=True,
        verbose_name=_("last run"), editable=False,
    )
    kind = models.CharField(_("kind"), max_length=40, editable=False)
    entry_date = models.DateField(_("date"), null=True, blank=True, editable=False)
    supplier = models.CharField(_("supplier"), max_length=300, blank=True, editable=False)
    spender = models.CharField(_("spent by"), max_length=300, blank=True, editable=False)
    description = models.TextField(_("description"), blank=True, editable=False)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=3, null=True, blank=True, editable=False)
    currency = models.CharField(_("currency"), max_length=3, blank=True, editable=False)
    vat_amount = models.DecimalField(_("VAT"), max_digits=18, decimal_places=3, null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportRecordStatus.choices, default=ExportRecordStatus.PENDING,
        editable=False,
    )
    odoo_reference = models.CharField(_("Odoo reference"), max_length=200, blank=True, editable=False)
    odoo_model = models.CharField(_("Odoo model"), max_length=50, blank=True, editable=False)
    odoo_record_id = models.PositiveIntegerField(_("Odoo record id"), null=True, blank=True, editable=False)
    odoo_name = models.CharField(_("Odoo number"), max_length=100, blank=True, editable=False)
    odoo_state = models.CharField(_("Odoo state"), max_length=20, blank=True, editable=False)
    odoo_url = models.URLField(_("link in Odoo"), max_length=500, blank=True, editable=False)
    booked_date = models.DateField(_("booked on"), null=True, blank=True, editable=False)
    # What Odoo showed as the record's total once booked: a later read that differs means someone changed it.
    odoo_amount_total = models.DecimalField(_("total in Odoo when booked"), max_digits=18, decimal_places=3,
                                            null=True, blank=True, editable=False)
    # Set by the drift check (exports/drift.py), cleared when the record is booked or found live again.
    odoo_drift = models.CharField(_("changed in Odoo since"), max_length=10, choices=OdooDrift.choices, blank=True,
                                  editable=False)
    odoo_drift_found_at = models.DateTimeField(_("change found"), null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failure_reason_type = models.CharField(_("failure type (Pleo)"), max_length=60, blank=True, editable=False)
    # What the last failure proved missing (exports.items.BookingRefused.fix), for its link to the fix; empty when
    # booked or when the failure named nothing to fix in the portal or Odoo.
    failure_detail = models.JSONField(_("what the failure needs fixed"), default=dict, blank=True, editable=False)
    differences = models.TextField(_("differences found on read-back"), blank=True, editable=False)
    pleo_payload = models.JSONField(_("Pleo payload"), default=dict, editable=False)
    odoo_values = models.JSONField(_("values sent to Odoo"), default=dict, editable=False)
    reported_to_pleo_at = models.DateTimeField(_("reported to Pleo"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "pleo_accounting_entry_id"], name="%(app_label)s_%(class)s_unique_client_entry"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ExportRecordStatus.values), name="%(app_label)s_%(class)s_valid_status"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "created_at"], name="exports_record_client_created"),
            models.Index(fields=["pleo_accounting_entry_id"], name="exports_record_entry"),
            models.Index(fields=["client", "status"], name="exports_record_client_status"),
            # The dashboard counts each client's failed records of the last 24 hours and 7 days.
            models.Index(fields=["client", "status", "updated_at"], name="exports_record_client_updated"),
            # ... and the records changed in Odoo since (few: the index holds only those).
            models.Index(fields=["client"], condition=~models.Q(odoo_drift=""), name="exports_record_client_drift"),
        ]

    def __str__(self) -> str:
        kind = TYPE_LABELS.get(self.kind, self.kind)
        parts = (kind, day(self.entry_date), self.supplier, self.money_display(self.amount))
        return " ".join(str(part) for part in parts if part)

    def money_display(self, value) -> str:
        """An amount in the record's currency, the firm's way ("€ 97,00", never "97.000 EUR")."""
        return money(value, self.currency)


class ExportAttemptQuerySet(ClientOwnedQuerySet):
    client_path = "record__client"


class ExportAttempt(TimeStampedModel):
    """Every try of one record: which run, what happened, in plain words."""

    record = models.ForeignKey(
        to="exports.ExportRecord", on_delete=models.PROTECT, related_name="attempt_log", verbose_name=_("record"),
        editable=False,
    )
    export_run = models.ForeignKey(
        to="exports.ExportRun", on_delete=models.PROTECT, related_name="attempts", verbose_name=_("run"),
        editable=False,
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=ExportRecordStatus.choices, editable=False)
    message = models.TextField(_("what happened"), blank=True, editable=False)

    objects = ExportAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("export attempt")
        verbose_name_plural = _("export attempts")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class ExportLock(models.Model):
    """A lease that keeps two runs of one client apart; different clients run in parallel.

    A lease instead of a held database lock: it works the same on SQLite and PostgreSQL, and a worker
    killed mid-run frees it when the lease runs out.
    """

    client = models.OneToOneField(
        to="integrations.Client", on_delete=models.CASCADE, related_name="export_lock", verbose_name=_("client")
    )
    holder = models.CharField(_("held by"), max_length=100, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Set by a webhook delivery that queued an export (exports/webhooks.py), cleared when a run starts reading
    # Pleo's queue: while it is set, further deliveries of the client queue nothing.
    export_wanted_at = models.DateTimeField(_("export wanted since"), null=True, blank=True)

    class Meta:
        verbose_name = _("export lock")
        verbose_name_plural = _("export locks")

    def __str__(self) -> str:
        return f"Export lock of client {self.client_id}"
