"""Export history for bookkeepers and auditors: read-only, filtered, searchable, retryable, downloadable."""
import json
from decimal import Decimal, InvalidOperation

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import F, Q
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from exports import admin_views
from exports.choices import ExportRecordStatus
from exports.failures import FAILURE_TYPE_LABELS, export_failure_causes, export_failure_fixes, failure_type_label
from exports.item_types import TYPE_LABELS
from exports.models import ExportAttempt, ExportRecord, ExportRun
from exports.selectors import (
    export_record_expense_details,
    export_record_supplier_amount,
    export_records_with_supplier_money,
)
from integrations.admin import ClientFilter, ClientScopedMixin
from integrations.formats import day, moment, money, money_html

__all__ = ["ExportRunAdmin", "ExportRecordAdmin", "ExportRunFilter", "FailureTypeFilter", "KindFilter"]


class ReadOnlyAdminMixin:
    """The export history is append-only: nobody adds, edits or deletes it from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _amount_or_none(term: str) -> Decimal | None:
    """A search term read as an amount: "77.70", "77.7", "77,70" (decimal comma) or "-12.5"."""
    text = term.strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and abs(amount) < Decimal("1e15") else None


def _pretty_json(value) -> str:
    return format_html('<pre class="export-json" style="white-space:pre-wrap;max-height:40em;overflow:auto;'
                       'font-family:monospace">{}</pre>',
                       json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def _run_link(run: ExportRun | None) -> str:
    if run is None:
        return ""
    return format_html('<a href="{}">Run {} of {}</a>', reverse("admin:exports_exportrun_change", args=[run.pk]),
                       run.pk, moment(run.created_at))


def _kind_label(kind: str) -> str:
    label = TYPE_LABELS.get(kind, kind)
    return label[:1].upper() + label[1:]


class FailureTypeFilter(admin.SimpleListFilter):
    """The reason type Pleo was told, from Pleo's fixed list (no scan of the history for distinct values)."""

    title = "failure type (Pleo)"
    parameter_name = "failure_reason_type"

    def lookups(self, request, model_admin):
        return sorted(FAILURE_TYPE_LABELS.items(), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(failure_reason_type=self.value()) if self.value() else queryset


class KindFilter(admin.SimpleListFilter):
    """The expense kinds by their labels, from the fixed list of Pleo's types (no scan of the history)."""

    title = "kind"
    parameter_name = "kind__exact"  # the field filter's parameter, so earlier links keep working

    def lookups(self, request, model_admin):
        return sorted(((kind, _kind_label(kind)) for kind in TYPE_LABELS), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class ExportRunFilter(admin.SimpleListFilter):
    """Records a run handled: those it last exported and those it tried (a retried record moves on to a later run).

    Lists the user's twenty latest runs; a run page links here with any older run chosen.
    """

    title = "run"
    parameter_name = "run"

    def lookups(self, request, model_admin):
        runs = ExportRun.objects.for_user(request.user).select_related("client")
        choices = list(runs[:20])
        value = self.value()
        if value and value.isdigit() and int(value) not in {run.pk for run in choices}:
            choices += list(runs.filter(pk=int(value)))
        return [(str(run.pk), f"{moment(run.created_at)} {run.client} ({run.triggered_by})") for run in choices]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        tried = ExportAttempt.objects.filter(export_run_id=int(value)).values("record_id")
        return queryset.filter(Q(export_run_id=int(value)) | Q(pk__in=tried))


class ExportRecordAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ExportAttempt
    fields = ["created_at", "outcome", "message", "display_run", "display_triggered_by"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "Every attempt"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("export_run")

    @admin.display(description="Run")
    def display_run(self, obj):
        return _run_link(obj.export_run)

    @admin.display(description="Started by")
    def display_triggered_by(self, obj):
        return obj.export_run.triggered_by


class ExportRunAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The records of a run: one attempt per Pleo expense the run handled, with its outcome."""

    model = ExportAttempt
    fk_name = "export_run"
    fields = ["display_record", "outcome", "message", "created_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "Records of this run"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("record")

    @admin.display(description="Record")
    def display_record(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:exports_exportrecord_change", args=[obj.record_id]),
                           obj.record)


@admin.register(ExportRun)
class ExportRunAdmin(ReadOnlyAdminMixin, ClientScopedMixin, admin.ModelAdmin):
    list_display = ["created_at", "client", "status", "pleo_job_id", "item_count", "exported_count",
                    "failed_count", "skipped_count", "display_duration", "triggered_by"]
    list_filter = ["status", ("client", ClientFilter)]
    list_select_related = ["client"]
    search_fields = ["pleo_job_id", "client__name", "error"]
    date_hierarchy = "created_at"
    inlines = [ExportRunAttemptInline]
    fields = ["client", "triggered_by", "status", "pleo_job_id", "started_at", "finished_at", "display_duration",
              "error", "display_records", "item_count", "exported_count", "failed_count", "skipped_count",
              "odoo_calls", "pleo_calls"]
    readonly_fields = fields

    @admin.display(description="Duration")
    def display_duration(self, obj):
        return obj.duration

    @admin.display(description="Records")
    def display_records(self, obj):
        url = reverse("admin:exports_exportrecord_changelist") + f"?{ExportRunFilter.parameter_name}={obj.pk}"
        return format_html('<a href="{}">The records of this run in the export history</a>', url)


def _failed_only(request) -> bool:
    return request.GET.get("status__exact") == ExportRecordStatus.FAILED


class ExportRecordChangeList(ChangeList):
    """The list with each failed row's fix and, on a list of failures, those failures by cause above it."""

    def get_results(self, request):
        super().get_results(request)
        fixes = export_failure_fixes(records=self.result_list)
        for record in self.result_list:
            record.fix = fixes.get(record.pk)
        self.failure_causes = (export_failure_causes(user=request.user, records=self.queryset)
                               if _failed_only(request) else [])


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdminMixin, ClientScopedMixin, admin.ModelAdmin):
    list_display = ["entry_date", "client", "display_expense", "display_amount", "display_status", "display_odoo",
                    "attempts", "display_reason"]
    list_filter = [("client", ClientFilter), "status", "odoo_drift", KindFilter, "entry_date", FailureTypeFilter,
                   ExportRunFilter]
    list_select_related = ["client"]
    # Newest expense first; records without a date (unreadable payloads) after the dated ones.
    ordering = [F("entry_date").desc(nulls_last=True), "-id"]
    # Amounts are searched by value in get_search_results: Django's "=amount" compares text, so "77.70"
    # missed 77.7 on SQLite and every amount on PostgreSQL (stored as "77.700").
    search_fields = ["supplier", "spender", "description", "odoo_name", "odoo_reference", "pleo_accounting_entry_id"]
    date_hierarchy = "entry_date"
    actions = ["retry_selected", "book_again_selected"]
    inlines = [ExportRecordAttemptInline]
    change_form_template = "admin/exports/exportrecord/change_form.html"
    fieldsets = [
        ("The Pleo expense", {"fields": [
            "client", "entry_date", "supplier", "spender", "description", "display_total", "display_vat",
            "display_categories", "display_tags", "display_kind", "display_receipts", "pleo_accounting_entry_id",
            "pleo_job_id"]}),
        ("The Odoo record", {"fields": [
            "status", "odoo_model", "display_odoo", "odoo_reference", "odoo_state", "booked_date", "display_odoo_total",
            "display_odoo_link", "differences", "odoo_drift", "odoo_drift_found_at"]}),
        ("Outcome", {"fields": ["attempts", "last_error", "display_last_run"]}),
        ("What Pleo was told", {"fields": ["reported_to_pleo_at", "display_failure_type"]}),
        ("What was sent and received", {"fields": ["display_odoo_values", "display_pleo_payload"]}),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]

    def get_queryset(self, request):
        return export_records_with_supplier_money(queryset=super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return ExportRecordChangeList

    def get_list_display(self, request):
        # A laptop's width goes to the reason: a list of failures needs no status, and failures have no Odoo
        # record; one client's list needs no client column.
        hidden = {"display_status", "display_odoo"} if _failed_only(request) else set()
        if request.GET.get("client__id__exact"):
            hidden.add("client")
        return [column for column in self.list_display if column not in hidden]

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if record is not None:
            # Read once per page from the stored payload, for the three columns below.
            record.expense_details = export_record_expense_details(record=record)
            record.fix = export_failure_fixes(records=[record]).get(record.pk)
        return record

    @admin.display(description="Categories")
    def display_categories(self, obj):
        return ", ".join(obj.expense_details.categories)

    @admin.display(description="Tags")
    def display_tags(self, obj):
        return ", ".join(obj.expense_details.tags)

    @admin.display(description="Receipts")
    def display_receipts(self, obj):
        details = obj.expense_details
        if details.pleo_link:
            return format_html('{} (<a href="{}" target="_blank" rel="noopener">the expense in Pleo</a>)',
                               details.receipts, details.pleo_link)
        return details.receipts

    @admin.display(description="Open in Odoo")
    def display_odoo_link(self, obj):
        if not obj.odoo_url:
            return ""
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.odoo_url, obj.odoo_url)

    @admin.display(description="Last run")
    def display_last_run(self, obj):
        if obj.export_run is None:
            return ""
        return format_html("{}, started by {}", _run_link(obj.export_run), obj.export_run.triggered_by)

    @admin.display(description="Failure type (Pleo)")
    def display_failure_type(self, obj):
        return failure_type_label(obj.failure_reason_type)

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        amount = _amount_or_none(search_term)
        if amount is not None:
            results = results | queryset.filter(amount=amount)
        return results, may_have_duplicates

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name

        def view(function):
            return self.admin_site.admin_view(lambda request, *args, **kwargs: function(self, request, *args, **kwargs))

        return [
            path("csv/", view(admin_views.export_records_csv_view), name="%s_%s_csv" % info),
            path("preview/", view(admin_views.export_preview_choose_view), name="%s_%s_preview_choose" % info),
            path("preview/<int:client_id>/", view(admin_views.export_preview_view), name="%s_%s_preview" % info),
            path("failures/", view(admin_views.export_failures_view), name="%s_%s_failures" % info),
            path("failures/retry/", view(admin_views.export_failures_retry_view),
                 name="%s_%s_failures_retry" % info),
            path("<int:object_id>/retry/", view(admin_views.export_record_retry_view), name="%s_%s_retry" % info),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        csv_url = reverse("admin:exports_exportrecord_csv") + (f"?{query}" if query else "")
        client = request.GET.get("client__id__exact", "")
        failures_url = reverse("admin:exports_exportrecord_failures") + (
            f"?client__id__exact={client}" if client.isdigit() else "")
        return super().changelist_view(request, {**(extra_context or {}), "csv_url": csv_url,
                                                 "failures_url": failures_url, "show_client": not client.isdigit()})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        retry_url = reverse("admin:exports_exportrecord_retry", args=[object_id]) if object_id.isdigit() else ""
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "retry_url": retry_url})

    @admin.display(description="Amount", ordering="amount")
    def display_amount(self, obj):
        """The company's amount and, for a purchase in another currency, the supplier's below it."""
        supplier = export_record_supplier_amount(money=obj.supplier_money, currency=obj.currency)
        return format_html("{}{}", money_html(obj.amount, obj.currency), money_html(*supplier) if supplier else "")

    @admin.display(description="Amount")
    def display_total(self, obj):
        supplier = export_record_supplier_amount(money=obj.supplier_money, currency=obj.currency)
        return money(obj.amount, obj.currency) + (f" ({money(*supplier)} charged by the supplier)" if supplier else "")

    @admin.display(description="VAT", ordering="vat_amount")
    def display_vat(self, obj):
        return money(obj.vat_amount, obj.currency)

    @admin.display(description="Total in Odoo when booked")
    def display_odoo_total(self, obj):
        return money(obj.odoo_amount_total, obj.currency)

    @admin.display(description="Kind", ordering="kind")
    def display_kind(self, obj):
        return _kind_label(obj.kind)

    @admin.display(description="Supplier", ordering="supplier")
    def display_expense(self, obj):
        return format_html('{}<br><span class="quiet">{}</span>', obj.supplier or obj.spender, _kind_label(obj.kind))

    @admin.display(description="Odoo record", ordering="odoo_name")
    def display_odoo(self, obj):
        if not obj.odoo_record_id:
            return ""
        label = obj.odoo_name or f"record {obj.odoo_record_id}"
        if not obj.odoo_url:
            return label
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.odoo_url, label)

    @admin.display(description="Status", ordering="status")
    def display_status(self, obj):
        if obj.odoo_drift:
            return format_html('{}<br><strong class="errornote-inline">{}</strong>', obj.get_status_display(),
                               obj.get_odoo_drift_display())
        return obj.get_status_display()

    @admin.display(description="Reason")
    def display_reason(self, obj):
        """Why the record failed (or changed in Odoo) and the link to where that is fixed."""
        if obj.odoo_drift:
            found = day(timezone.localtime(obj.odoo_drift_found_at).date()) if obj.odoo_drift_found_at else ""
            return (f"{obj.get_odoo_drift_display()} (found {found}): to book it again, select it and choose "
                    "“Book again the selected records changed in Odoo”.")
        reason = (obj.last_error[:300] + "…") if len(obj.last_error) > 300 else obj.last_error
        fix = getattr(obj, "fix", None)
        if fix is None:
            return reason
        return format_html('{} <a class="fix-link" href="{}">{}</a>', reason, fix[1], fix[0])

    @admin.display(description="Pleo payload")
    def display_pleo_payload(self, obj):
        return _pretty_json(obj.pleo_payload)

    @admin.display(description="Values sent to Odoo")
    def display_odoo_values(self, obj):
        return _pretty_json(obj.odoo_values)

    @admin.action(description="Retry the selected failed records")
    def retry_selected(self, request, queryset):
        admin_views.records_retry(self, request, queryset)

    @admin.action(description="Book again the selected records changed in Odoo (via Pleo's export queue)")
    def book_again_selected(self, request, queryset):
        admin_views.records_retry(self, request, queryset, changed_in_odoo=True)
