"""State of the Pleo sandbox: companies, tokens, reference data, export jobs, webhook subscriptions and
injected faults.

Every table keeps an integer primary key (the paging order behind the opaque cursors) and a public
`uuid`, because Pleo's ids are UUIDs.
"""
import uuid

from django.db import models

__all__ = [
    "Organisation",
    "Company",
    "ApiToken",
    "Employee",
    "Team",
    "BookkeepingAccount",
    "TagGroup",
    "Tag",
    "TaxCode",
    "ExportItem",
    "ExportJob",
    "ExportJobItem",
    "File",
    "Installation",
    "FaultRule",
    "WebhookSubscription",
    "WebhookFault",
    "JobStatus",
    "JobItemStatus",
    "FaultKind",
    "SubscriptionStatus",
    "WebhookFaultKind",
]


class JobStatus(models.TextChoices):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"


class JobItemStatus(models.TextChoices):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    SUCCESSFUL = "successful"
    ABANDONED = "abandoned"


class FaultKind(models.TextChoices):
    HTTP_429 = "http_429"
    HTTP_500 = "http_500"
    HTTP_502 = "http_502"
    HTTP_503 = "http_503"
    SLOW = "slow"
    DROP = "drop"
    TIMEOUT = "timeout"  # the call is applied, then the caller waits in vain for the answer
    HTML_PAGE = "html_page"  # 200 OK with a maintenance web page instead of JSON
    TRUNCATED_JSON = "truncated_json"  # 200 OK with half of the real JSON body, sent complete


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class WebhookFaultKind(models.TextChoices):
    BAD_SIGNATURE = "bad_signature"  # signed with a key that is not the subscription's secret
    STALE_TIMESTAMP = "stale_timestamp"  # webhook-timestamp 10 minutes old, correctly signed over it
    DUPLICATE = "duplicate"  # the same delivery (webhook-id, body) sent twice
    OUT_OF_ORDER = "out_of_order"  # held back until the next delivery has gone out, or 2 s
    LOST = "lost"  # never sent
    BURST = "burst"  # 50 deliveries of the event at once, each its own webhook-id and eventId


class Organisation(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="companies"
    )
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="EUR")
    country = models.CharField(max_length=2, default="NL")
    # Currencies without a contra account make export items and job creation answer 400 MISSING_CONTRA_ACCOUNTS.
    missing_contra_account_currencies = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token or API key. Only its SHA-256 digest is stored, so it never shows in a dump or repr."""

    digest = models.CharField(max_length=64, unique=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    scope = models.TextField(blank=True)
    auth_method = models.CharField(max_length=10, default="API_KEY")  # OAUTH2 | API_KEY
    client_id = models.CharField(max_length=100, default="sandbox-portal")
    application_id = models.UUIDField(default=uuid.uuid4)
    application_name = models.CharField(max_length=100, default="Pleo to Odoo portal (sandbox)")
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"token #{self.pk} for {self.subject_urn}"

    @property
    def subject_urn(self) -> str:
        if self.company_id:
            return f"urn:pleo:company:{self.company.uuid}"
        return f"urn:pleo:organization:{self.organisation.uuid}"


class Employee(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="employees")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=50, null=True, blank=True)
    email = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=50, null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class BookkeepingAccount(models.Model):
    """A chart-of-accounts entry; the sandbox also uses it as the expense category on export lines."""

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="accounts")
    external_id = models.CharField(max_length=255)
    code = models.CharField(max_length=255, null=True, blank=True)
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)
    tax_code_external_id = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    assigned_to_category = models.BooleanField(default=False)
    is_contra_account = models.BooleanField(default=False)
    # Accounts that export items point at cannot be deleted (409), only archived.
    linked_to_entries = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"], name="%(app_label)s_%(class)s_unique_company_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TagGroup(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tag_groups")
    code = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    archived = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(TagGroup, on_delete=models.CASCADE, related_name="tags")
    code = models.CharField(max_length=255)
    name = models.CharField(max_length=255, null=True, blank=True)
    archived = models.BooleanField(default=False)
    other_dimension_values = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="%(app_label)s_%(class)s_unique_group_code")
        ]

    def __str__(self) -> str:
        return self.code


class TaxCode(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="tax_codes")
    code = models.CharField(max_length=255, null=True, blank=True)
    name = models.CharField(max_length=255)
    rate = models.DecimalField(max_digits=9, decimal_places=6)
    type = models.CharField(max_length=10)  # inclusive | exclusive | reverse
    archived = models.BooleanField(default=False)
    ingoing_tax_account = models.CharField(max_length=255, null=True, blank=True)
    outgoing_tax_account = models.CharField(max_length=255, null=True, blank=True)
    accounting_integration_system = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ExportItem(models.Model):
    """One accounting entry with its full v3 payload; files[] URLs are signed afresh on each fetch."""

    uuid = models.UUIDField(unique=True, editable=False)  # accountingEntryId
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="export_items")
    type = models.CharField(max_length=30)
    kind = models.CharField(max_length=40)  # the scenario that produced it, e.g. card_purchase_foreign
    reconciliation_id = models.CharField(max_length=50)
    # Out-of-pocket expenses and invoices that a later reimbursement or payment already settles.
    settled = models.BooleanField(default=False)
    payload = models.JSONField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.uuid}"


class ExportJob(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="export_jobs")
    status = models.CharField(max_length=30, choices=JobStatus.choices, default=JobStatus.PENDING)
    created_at = models.DateTimeField()
    created_by = models.UUIDField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    expires_in = models.PositiveIntegerField(default=3600)
    failure_reason = models.TextField(null=True, blank=True)
    failure_reason_type = models.CharField(max_length=60, null=True, blank=True)
    is_interactive = models.BooleanField(default=True)
    vendor_based_bookkeeping = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"export job {self.uuid} ({self.status})"


class ExportJobItem(models.Model):
    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="items")
    export_item = models.ForeignKey(ExportItem, on_delete=models.CASCADE, related_name="job_items")
    status = models.CharField(max_length=20, choices=JobItemStatus.choices, default=JobItemStatus.PENDING)
    exported_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=500, null=True, blank=True)
    external_url = models.CharField(max_length=2000, null=True, blank=True)
    failure_reason = models.TextField(null=True, blank=True)
    failure_reason_type = models.CharField(max_length=60, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "export_item"], name="%(app_label)s_%(class)s_unique_job_item")
        ]

    def __str__(self) -> str:
        return f"{self.export_item.uuid} in {self.job.uuid}"


class File(models.Model):
    """A receipt or attachment, downloadable through a pre-signed URL."""

    uuid = models.UUIDField(unique=True, editable=False)
    export_item = models.ForeignKey(ExportItem, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    mime_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["export_item", "position"]

    def __str__(self) -> str:
        return self.name


class Installation(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    application_id = models.UUIDField()
    resource = models.CharField(max_length=200)  # urn:pleo:company:<uuid> or urn:pleo:organization:<uuid>
    status = models.CharField(max_length=30, default="AUTHORIZED")
    metadata = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=30, null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application_id", "resource"], name="%(app_label)s_%(class)s_unique_app_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} ({self.status})"


class FaultRule(models.Model):
    """"The next `remaining` calls matching (method, path prefix[, company]) answer `kind`"."""

    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="faults")
    method = models.CharField(max_length=10, default="GET")  # "*" matches every method
    path_prefix = models.CharField(max_length=200)  # relative to the sandbox root, e.g. /v3/export-items
    kind = models.CharField(max_length=20, choices=FaultKind.choices)
    remaining = models.PositiveIntegerField(default=1)
    retry_after = models.PositiveIntegerField(null=True, blank=True)
    delay_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} x{self.remaining} on {self.method} {self.path_prefix}"


class WebhookSubscription(models.Model):
    """An endpoint subscribed to event types by one token; only that token sees or changes it."""

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    api_token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    endpoint_url = models.CharField(max_length=2000)
    event_types = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    endpoint_auth = models.JSONField(default=dict, blank=True)  # EndpointAuth: {"type": "NONE"|"BASIC", ...}
    custom_headers = models.JSONField(default=dict, blank=True)
    secret = models.CharField(max_length=100)  # whsec_ + base64 of 24 random bytes
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.endpoint_url} {self.event_types} ({self.status})"


class WebhookFault(models.Model):
    """"The next `remaining` webhook deliveries for this company's events go wrong as `kind`"."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_faults")
    kind = models.CharField(max_length=20, choices=WebhookFaultKind.choices)
    remaining = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"webhook {self.kind} x{self.remaining} for {self.company}"
