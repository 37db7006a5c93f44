"""Clients of the firm and their Pleo and Odoo connections, plus the two abstract bases every app uses."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField
from simple_history.models import HistoricalRecords

from integrations.choices import ClientActionKind, ClientActionStatus, ClientStatus, WebhookStatus

__all__ = [
    "TimeStampedModel",
    "ClientOwnedQuerySet",
    "ClientOwnedModel",
    "Client",
    "ConnectionHealth",
    "OdooConnection",
    "PleoConnection",
    "WebhookDelivery",
    "ClientAction",
]


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ClientOwnedQuerySet(models.QuerySet):
    """Scopes rows to the clients a staff member handles; superusers see every client."""

    client_path = "client"

    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self.client_path}__staff": user}).distinct()


class ClientOwnedModel(TimeStampedModel):
    client = models.ForeignKey(
        to="integrations.Client",
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("client"),
    )

    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class ClientQuerySet(ClientOwnedQuerySet):
    def for_user(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(staff=user).distinct()


class Client(TimeStampedModel):
    """A client company of the firm: pays with Pleo, keeps its books in Odoo."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    staff = models.ManyToManyField(
        to=settings.AUTH_USER_MODEL,
        related_name="clients",
        blank=True,
        verbose_name=_("handled by"),
        help_text=_("Staff members who see and change this client. Superusers see every client."),
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = ClientQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[staff])

    class Meta:
        ordering = ["name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ClientStatus.values),
                name="%(app_label)s_%(class)s_valid_status",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == ClientStatus.ACTIVE


class ConnectionHealth(models.Model):
    """How a connection fared in its last Verify or export run, for the dashboard.

    A refused login or API key marks the connection so the schedule skips the client until someone
    enters new credentials or Verify passes, instead of knocking on the service every five minutes.
    """

    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    last_failure = models.TextField(_("last failure"), blank=True, editable=False)
    credentials_refused_at = models.DateTimeField(
        _("credentials refused since"), null=True, blank=True, editable=False,
        help_text=_("Exports of this client are skipped until new credentials are saved or Verify passes."),
    )

    class Meta:
        abstract = True


HEALTH_FIELDS = ["failing_since", "last_failure", "credentials_refused_at"]
WEBHOOK_FIELDS = ["webhook_endpoint_id", "webhook_subscription_id", "webhook_secret", "webhook_status",
                  "webhook_problem", "webhook_checked_at", "webhook_delivered_at", "webhook_refused_at",
                  "webhook_refused_count"]


class OdooConnection(ConnectionHealth, ClientOwnedModel):
    """How the portal reaches one client's Odoo: instance, database, integration user, company."""

    client = models.OneToOneField(
        to="integrations.Client",
        on_delete=models.CASCADE,
        related_name="odoo_connection",
        verbose_name=_("client"),
    )
    url = models.URLField(
        _("Odoo URL"), max_length=300, help_text=_("For example https://mycompany.odoo.com")
    )
    database = models.CharField(_("database"), max_length=200, blank=True)
    login = models.CharField(_("login e-mail"), max_length=254)
    api_key = EncryptedCharField(_("API key"), max_length=500)
    company_id = models.PositiveIntegerField(_("Odoo company id"), null=True, blank=True)
    company_name = models.CharField(_("Odoo company"), max_length=200, blank=True)
    server_version = models.CharField(_("server version"), max_length=50, blank=True)
    # How the portal talks to the server, as Verify found out (JSON-2 where Odoo 19+ offers it).
    protocol = models.CharField(_("protocol"), max_length=10, choices=[("json-rpc", "JSON-RPC"), ("json-2", "JSON-2")],
                                default="json-rpc")
    # When the user's API key stops working (Odoo 18+ keys expire; 16 and 17 keys never do).
    key_expires_at = models.DateTimeField(_("API key expires"), null=True, blank=True)
    user_id = models.PositiveIntegerField(_("Odoo user id"), null=True, blank=True)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    verification_passed = models.BooleanField(_("verification passed"), null=True, blank=True)
    check_report = models.JSONField(_("last check report"), default=dict, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=HEALTH_FIELDS + ["api_key", "check_report"])

    class Meta:
        ordering = ["client__name"]
        verbose_name = _("Odoo connection")
        verbose_name_plural = _("Odoo connections")

    def __str__(self) -> str:
        return f"Odoo of {self.client}"


class PleoConnection(ConnectionHealth, ClientOwnedModel):
    """How the portal reaches one client's Pleo: API token and the chosen Pleo company."""

    client = models.OneToOneField(
        to="integrations.Client",
        on_delete=models.CASCADE,
        related_name="pleo_connection",
        verbose_name=_("client"),
    )
    api_base_url = models.URLField(
        _("Pleo API URL"), max_length=300, default="https://external.pleo.io"
    )
    api_token = EncryptedCharField(_("API token"), max_length=2000)
    company_id = models.CharField(_("Pleo company id"), max_length=36, blank=True)
    company_name = models.CharField(_("Pleo company"), max_length=200, blank=True)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    verification_passed = models.BooleanField(_("verification passed"), null=True, blank=True)
    check_report = models.JSONField(_("last check report"), default=dict, blank=True, editable=False)
    # Counted by each export poll: the dashboard cannot ask Pleo live for hundreds of clients.
    queue_waiting = models.PositiveIntegerField(_("waiting in Pleo"), null=True, blank=True, editable=False)
    queue_checked_at = models.DateTimeField(_("Pleo queue checked"), null=True, blank=True, editable=False)
    # Pleo's webhook (integrations/webhooks.py): deliveries come to /webhooks/pleo/<webhook_endpoint_id>/, a
    # random id that names no client; the secret that signs them is kept encrypted like the token.
    webhook_endpoint_id = models.UUIDField(_("webhook address id"), unique=True, default=uuid.uuid4, editable=False)
    webhook_subscription_id = models.CharField(_("Pleo subscription id"), max_length=64, blank=True, editable=False)
    webhook_secret = EncryptedCharField(_("webhook secret"), max_length=500, null=True, blank=True,
                                        editable=False)  # null until subscribed: the field stores "" as null
    webhook_status = models.CharField(_("webhook"), max_length=10, choices=WebhookStatus.choices,
                                      default=WebhookStatus.NONE, editable=False)
    webhook_problem = models.TextField(_("webhook problem"), blank=True, editable=False)
    webhook_checked_at = models.DateTimeField(_("webhook checked"), null=True, blank=True, editable=False)
    webhook_delivered_at = models.DateTimeField(_("last webhook delivery"), null=True, blank=True, editable=False)
    webhook_refused_at = models.DateTimeField(_("last refused delivery"), null=True, blank=True, editable=False)
    webhook_refused_count = models.PositiveIntegerField(_("refused deliveries"), default=0, editable=False)

    history = HistoricalRecords(
        excluded_fields=HEALTH_FIELDS + ["api_token", "check_report", "queue_waiting", "queue_checked_at"]
        + WEBHOOK_FIELDS
    )

    class Meta:
        ordering = ["client__name"]
        verbose_name = _("Pleo connection")
        verbose_name_plural = _("Pleo connections")

    def __str__(self) -> str:
        return f"Pleo of {self.client}"


class WebhookDelivery(models.Model):
    """A delivery from Pleo that passed its signature check: its id is refused a second time (a replay)."""

    connection = models.ForeignKey(to=PleoConnection, on_delete=models.CASCADE, related_name="webhook_deliveries")
    webhook_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=100)
    job_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["connection", "webhook_id"],
                                               name="%(app_label)s_%(class)s_once")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class ClientAction(ClientOwnedModel):
    """A Verify, Sync now or Export now a person asked for on the client page, run in the background.

    Written only by integrations.actions; the page polls it to show progress and the outcome in plain words.
    """

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.CASCADE, related_name="actions", verbose_name=_("client")
    )
    kind = models.CharField(_("action"), max_length=10, choices=ClientActionKind.choices, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ClientActionStatus.choices, default=ClientActionStatus.QUEUED,
        editable=False,
    )
    progress = models.CharField(_("progress"), max_length=300, blank=True, editable=False)
    outcome = models.TextField(_("outcome"), blank=True, editable=False)
    requested_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("requested by"), editable=False,
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("client action")
        verbose_name_plural = _("client actions")
        indexes = [models.Index(fields=["client", "created_at"], name="integrations_action_client")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ClientActionKind.values), name="%(app_label)s_%(class)s_valid_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ClientActionStatus.values), name="%(app_label)s_%(class)s_valid_status"
            ),
            # A double click must not queue the same action twice: one waiting or running per client and kind.
            models.UniqueConstraint(
                fields=["client", "kind"], condition=models.Q(status__in=["queued", "running"]),
                name="%(app_label)s_%(class)s_one_busy_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.client} ({self.get_status_display().lower()})"
