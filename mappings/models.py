"""What a bookkeeper sets once per client before the first export, and the two syncs that keep Pleo in step.

Odoo is the source of truth for accounts, journals, taxes and analytic accounts: the portal keeps only
their ids plus a "code name" label to show, never a local copy of the chart.
"""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from integrations.models import ClientOwnedModel
from mappings.choices import (
    BookingMode,
    LockDatePolicy,
    PleoTaxType,
    PostState,
    SyncKind,
    SyncRunStatus,
    TopUpHandling,
)

__all__ = [
    "BookingSettings",
    "TaxMapping",
    "PleoTaxCode",
    "PLEO_TAX_TYPE_WORDS",
    "TagGroupPair",
    "AnalyticTagMapping",
    "SyncRun",
    "CategoryMapping",
    "ODOO_ACCOUNT_FIELDS",
    "ODOO_JOURNAL_FIELDS",
]

# Settings fields that hold an Odoo account or journal id; each has a `<name>_label` companion.
ODOO_ACCOUNT_FIELDS = (
    "wallet_account",
    "out_of_pocket_account",
    "reimbursement_contra_account",
    "payables_account",
    "topup_bank_account",
)
ODOO_JOURNAL_FIELDS = ("card_journal", "bill_journal")


def _odoo_id(verbose_name, help_text=""):
    return models.PositiveIntegerField(verbose_name, null=True, blank=True, help_text=help_text)


def _label(verbose_name):
    return models.CharField(verbose_name, max_length=300, blank=True, editable=False)


class BookingSettings(ClientOwnedModel):
    """How one client's Pleo expenses are booked in Odoo: accounts, journals and booking modes."""

    client = models.OneToOneField(
        to="integrations.Client",
        on_delete=models.PROTECT,
        related_name="booking_settings",
        verbose_name=_("client"),
    )
    wallet_account_id = _odoo_id(_("Pleo Wallet account"), _("The Odoo account that mirrors the Pleo Wallet balance."))
    wallet_account_label = _label(_("Pleo Wallet account (code name)"))
    out_of_pocket_account_id = _odoo_id(
        _("out-of-pocket account"), _("What the company owes employees for expenses they paid themselves.")
    )
    out_of_pocket_account_label = _label(_("out-of-pocket account (code name)"))
    reimbursement_contra_account_id = _odoo_id(
        _("contra account for reimbursements outside Pleo"),
        _("Credited when an employee is reimbursed by bank transfer instead of through Pleo."),
    )
    reimbursement_contra_account_label = _label(_("reimbursement contra account (code name)"))
    payables_account_id = _odoo_id(_("payables account"), _("Must be of type Payable."))
    payables_account_label = _label(_("payables account (code name)"))
    card_journal_id = _odoo_id(_("card-expense journal"), _("A Miscellaneous (general) journal."))
    card_journal_label = _label(_("card-expense journal (code name)"))
    bill_journal_id = _odoo_id(_("vendor-bill journal"), _("A Purchase journal."))
    bill_journal_label = _label(_("vendor-bill journal (code name)"))

    card_booking_mode = models.CharField(
        _("card expenses booked as"), max_length=20, choices=BookingMode.choices, default=BookingMode.JOURNAL_ENTRY
    )
    card_post_state = models.CharField(
        _("card expenses exported as"), max_length=10, choices=PostState.choices, default=PostState.DRAFT
    )
    card_receipts = models.BooleanField(_("export receipts of card expenses"), default=True)
    out_of_pocket_booking_mode = models.CharField(
        _("out-of-pocket expenses booked as"), max_length=20, choices=BookingMode.choices,
        default=BookingMode.JOURNAL_ENTRY,
    )
    out_of_pocket_post_state = models.CharField(
        _("out-of-pocket expenses exported as"), max_length=10, choices=PostState.choices, default=PostState.DRAFT
    )
    out_of_pocket_receipts = models.BooleanField(_("export receipts of out-of-pocket expenses"), default=True)
    wallet_topups = models.CharField(
        _("Pleo Wallet top-ups"), max_length=10, choices=TopUpHandling.choices, default=TopUpHandling.IGNORE
    )
    topup_bank_account_id = _odoo_id(_("bank account top-ups come from"), _("Needed when top-ups are booked."))
    topup_bank_account_label = _label(_("top-up bank account (code name)"))
    poll_interval_minutes = models.PositiveSmallIntegerField(
        _("poll the export queue every (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    # {export item type: KindMode}; a type left out follows the defaults of selectors.kind_mode_for.
    kind_modes = models.JSONField(_("booking per expense type"), default=dict, blank=True)
    lock_date_policy = models.CharField(
        _("expenses dated in a locked period"), max_length=20, choices=LockDatePolicy.choices,
        default=LockDatePolicy.FIRST_OPEN_DAY,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["client__name"]
        verbose_name = _("booking settings")
        verbose_name_plural = _("booking settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(card_booking_mode__in=BookingMode.values)
                & models.Q(out_of_pocket_booking_mode__in=BookingMode.values),
                name="%(app_label)s_%(class)s_valid_booking_modes",
            ),
            models.CheckConstraint(
                condition=models.Q(card_post_state__in=PostState.values)
                & models.Q(out_of_pocket_post_state__in=PostState.values),
                name="%(app_label)s_%(class)s_valid_post_states",
            ),
            models.CheckConstraint(
                condition=models.Q(wallet_topups__in=TopUpHandling.values),
                name="%(app_label)s_%(class)s_valid_wallet_topups",
            ),
            models.CheckConstraint(
                condition=models.Q(lock_date_policy__in=LockDatePolicy.values),
                name="%(app_label)s_%(class)s_valid_lock_date_policy",
            ),
            models.CheckConstraint(
                condition=models.Q(poll_interval_minutes__gte=1),
                name="%(app_label)s_%(class)s_poll_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking settings of {self.client}"


class TaxMapping(ClientOwnedModel):
    """One Odoo purchase tax and the Pleo tax code the tax sync keeps in step with it."""

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="tax_mappings", verbose_name=_("client")
    )
    odoo_tax_id = models.PositiveIntegerField(_("Odoo tax id"))
    odoo_tax_name = models.CharField(_("Odoo tax"), max_length=300)
    # Odoo stores `amount` with 4 decimals (21.0 = 21 %).
    odoo_tax_rate = models.DecimalField(_("Odoo rate (%)"), max_digits=12, decimal_places=4, null=True, blank=True)
    odoo_amount_type = models.CharField(_("Odoo amount type"), max_length=20, blank=True)
    pleo_tax_code_id = models.CharField(_("Pleo tax code id"), max_length=36, blank=True)
    pleo_tax_code = models.CharField(_("Pleo tax code"), max_length=255, blank=True)
    pleo_rate = models.DecimalField(_("Pleo rate"), max_digits=9, decimal_places=6, null=True, blank=True)
    pleo_type = models.CharField(_("Pleo type"), max_length=10, choices=PleoTaxType.choices, blank=True)
    archived = models.BooleanField(_("archived in Pleo"), default=False)
    skip_reason = models.CharField(_("not in Pleo because"), max_length=300, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["client__name", "odoo_tax_name"]
        verbose_name = _("tax mapping")
        verbose_name_plural = _("tax mappings")
        constraints = [
            models.UniqueConstraint(fields=["client", "odoo_tax_id"], name="%(app_label)s_%(class)s_unique_client_tax"),
            models.UniqueConstraint(
                fields=["client", "pleo_tax_code_id"],
                condition=~models.Q(pleo_tax_code_id=""),
                name="%(app_label)s_%(class)s_unique_client_pleo_tax_code",
            ),
        ]

    def __str__(self) -> str:
        if not self.pleo_tax_code_id:
            return f"{self.odoo_tax_name} (not in Pleo)"
        return f"{self.odoo_tax_name} (archived in Pleo)" if self.archived else self.odoo_tax_name


# Pleo's tax code types (pleo-api README §8) in the bookkeeper's words.
PLEO_TAX_TYPE_WORDS = {
    "inclusive": _("VAT included in the amount"),
    "exclusive": _("VAT on top of the amount"),
    "reverse": _("Reverse charge"),
}


class PleoTaxCode(ClientOwnedModel):
    """A tax code the client made in Pleo itself (not the tax sync), and the Odoo purchase tax chosen for it.

    Rows are read from Pleo: by every tax sync run and by "Read the tax codes from Pleo". A code gone from
    Pleo is marked archived, never dropped, so an expense still carrying it keeps its Odoo tax. A code the tax
    sync made is a TaxMapping and never a row here. One Odoo tax may serve several Pleo codes.
    """

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="pleo_tax_codes", verbose_name=_("client")
    )
    pleo_tax_code_id = models.CharField(_("Pleo tax code id"), max_length=36)
    pleo_tax_code = models.CharField(_("code in Pleo"), max_length=255, blank=True)
    pleo_tax_name = models.CharField(_("name in Pleo"), max_length=255, blank=True)
    # A fraction, as Pleo gives it: 0.21 is 21 %.
    pleo_rate = models.DecimalField(_("rate in Pleo"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Pleo's word (inclusive, exclusive, reverse), kept as Pleo says it: see PLEO_TAX_TYPE_WORDS.
    pleo_type = models.CharField(_("type in Pleo"), max_length=20, blank=True)
    archived = models.BooleanField(_("archived in Pleo"), default=False)
    odoo_tax_id = models.PositiveIntegerField(_("Odoo tax id"), null=True, blank=True)
    odoo_tax_name = models.CharField(_("Odoo tax"), max_length=300, blank=True)
    last_seen_at = models.DateTimeField(_("last read from Pleo"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["last_seen_at"])

    class Meta:
        ordering = ["client__name", "pleo_tax_code", "pleo_tax_name"]
        verbose_name = _("tax code made in Pleo")
        verbose_name_plural = _("tax codes made in Pleo")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "pleo_tax_code_id"], name="%(app_label)s_%(class)s_unique_client_pleo_tax_code"
            ),
        ]

    @property
    def words(self) -> str:
        """The code and its name as Pleo shows them: "I0 No VAT (0%)"."""
        return f"{self.pleo_tax_code} {self.pleo_tax_name}".strip() or self.pleo_tax_code_id

    def __str__(self) -> str:
        return f"{self.words} → {self.odoo_tax_name or 'no Odoo tax chosen'}"


class TagGroupPair(ClientOwnedModel):
    """An Odoo analytic plan paired with a Pleo tag group; its analytic accounts become the group's tags."""

    MAX_PER_CLIENT = 5  # Pleo puts at most five tags on an expense (pleo-api README §7).

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="tag_group_pairs", verbose_name=_("client")
    )
    odoo_plan_id = models.PositiveIntegerField(_("Odoo analytic plan id"))
    odoo_plan_name = models.CharField(_("Odoo analytic plan"), max_length=300)
    pleo_tag_group_id = models.CharField(_("Pleo tag group id"), max_length=36)
    pleo_tag_group_code = models.CharField(_("Pleo tag group code"), max_length=255)
    pleo_tag_group_name = models.CharField(_("Pleo tag group"), max_length=255)

    history = HistoricalRecords()

    class Meta:
        ordering = ["client__name", "odoo_plan_name"]
        verbose_name = _("tag group pair")
        verbose_name_plural = _("tag group pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "pleo_tag_group_id"], name="%(app_label)s_%(class)s_unique_client_tag_group"
            ),
            models.UniqueConstraint(
                fields=["client", "odoo_plan_id"], name="%(app_label)s_%(class)s_unique_client_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.odoo_plan_name} ↔ {self.pleo_tag_group_name}"


class AnalyticTagMapping(ClientOwnedModel):
    """One Odoo analytic account and the Pleo tag the tag sync made of it; the export reads it back."""

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="analytic_tag_mappings",
        verbose_name=_("client"),
    )
    pair = models.ForeignKey(
        to="mappings.TagGroupPair", on_delete=models.CASCADE, related_name="tag_mappings", verbose_name=_("pair")
    )
    odoo_analytic_account_id = models.PositiveIntegerField(_("Odoo analytic account id"))
    odoo_analytic_account_name = models.CharField(_("Odoo analytic account"), max_length=300)
    odoo_analytic_account_code = models.CharField(_("Odoo code"), max_length=100, blank=True)
    pleo_tag_id = models.CharField(_("Pleo tag id"), max_length=36)
    pleo_tag_code = models.CharField(_("Pleo tag code"), max_length=255)
    archived = models.BooleanField(_("archived in Pleo"), default=False)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    class Meta:
        ordering = ["pair", "odoo_analytic_account_name"]
        verbose_name = _("analytic account ↔ tag")
        verbose_name_plural = _("analytic accounts ↔ tags")
        constraints = [
            models.UniqueConstraint(
                fields=["pair", "odoo_analytic_account_id"], name="%(app_label)s_%(class)s_unique_pair_account"
            ),
            models.UniqueConstraint(fields=["pair", "pleo_tag_id"], name="%(app_label)s_%(class)s_unique_pair_tag"),
        ]

    def __str__(self) -> str:
        code = self.odoo_analytic_account_code
        return f"{self.odoo_analytic_account_name} ({code})" if code else self.odoo_analytic_account_name


class SyncRun(ClientOwnedModel):
    """One run of the tax or tag sync: when, who or what started it, what changed, what went wrong."""

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="sync_runs", verbose_name=_("client")
    )
    kind = models.CharField(_("sync"), max_length=10, choices=SyncKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    triggered_by = models.CharField(_("started by"), max_length=200)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    archived_count = models.PositiveIntegerField(_("archived"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    notes = models.TextField(_("skipped, with reasons"), blank=True)
    errors = models.TextField(_("errors"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SyncKind.values), name="%(app_label)s_%(class)s_valid_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SyncRunStatus.values), name="%(app_label)s_%(class)s_valid_status"
            ),
        ]
        indexes = [models.Index(fields=["client", "kind", "started_at"], name="mappings_syncrun_client_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.client} at {self.started_at:%Y-%m-%d %H:%M}"


class CategoryMapping(ClientOwnedModel):
    """One Pleo category (a Pleo bookkeeping account) and the Odoo account and default tax it is booked on.

    Export item lines carry the category as `accountingEntryLines[].account.id`, which is `pleo_account_id`.
    Rows are never deleted: a category archived in Pleo keeps its mapping for expenses still to export.
    """

    client = models.ForeignKey(
        to="integrations.Client", on_delete=models.PROTECT, related_name="category_mappings", verbose_name=_("client")
    )
    pleo_account_id = models.CharField(_("Pleo category id"), max_length=36)
    pleo_account_code = models.CharField(_("Pleo account number"), max_length=255, blank=True)
    pleo_account_name = models.CharField(_("Pleo category"), max_length=255)
    pleo_external_id = models.CharField(_("Pleo external id"), max_length=255, blank=True)
    odoo_account_id = models.PositiveIntegerField(_("Odoo account id"), null=True, blank=True)
    odoo_account_label = models.CharField(_("Odoo account"), max_length=300, blank=True)
    default_tax_id = models.PositiveIntegerField(_("default Odoo tax id"), null=True, blank=True)
    default_tax_label = models.CharField(_("default tax"), max_length=300, blank=True)
    archived_in_pleo = models.BooleanField(_("archived in Pleo"), default=False)
    last_seen_at = models.DateTimeField(_("last seen in Pleo"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["client__name", "pleo_account_code", "pleo_account_name"]
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "pleo_account_id"], name="%(app_label)s_%(class)s_unique_client_category"
            ),
        ]

    def __str__(self) -> str:
        category = f"{self.pleo_account_code} {self.pleo_account_name}".strip()
        return f"{category} → {self.odoo_account_label or 'not mapped'}"
