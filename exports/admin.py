"""Export history for bookkeepers and auditors: read-only, filtered, searchable, retryable, downloadable."""
import csv
import json
from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from exports import admin_views, services
from exports.models import ExportAttempt, ExportRecord, ExportRun
from exports.selectors import EXPORT_RECORD_CSV_HEADER, export_records_csv_rows
from integrations.admin import ClientFilter, ClientScopedMixin
from integrations.errors import PortalError

__all__ = ["ExportRunAdmin", "ExportRecordAdmin"]


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
    return format_html("<pre style='white-space:pre-wrap;max-height:40em;overflow:auto'>{}</pre>",
                       json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


class ExportRecordAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ExportAttempt
    fields = ["created_at", "outcome", "message", "export_run"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(ExportRun)
class ExportRunAdmin(ReadOnlyAdminMixin, ClientScopedMixin, admin.ModelAdmin):
    list_display = ["created_at", "client", "status", "pleo_job_id", "item_count", "exported_count",
                    "failed_count", "skipped_count", "display_duration", "triggered_by"]
    list_filter = ["status", ("client", ClientFilter)]
    list_select_related = ["client"]
    search_fields = ["pleo_job_id", "client__name", "error"]
    date_hierarchy = "created_at"
    readonly_fields = ["client", "pleo_job_id", "status", "triggered_by", "started_at", "finished_at", "error",
                       "item_count", "exported_count", "failed_count", "skipped_count", "odoo_calls", "pleo_calls"]

    @admin.display(description="Duration")
    def display_duration(self, obj):
        return obj.duration


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdminMixin, ClientScopedMixin, admin.ModelAdmin):
    list_display = ["entry_date", "client", "kind", "supplier", "display_amount", "status", "display_odoo",
                    "attempts", "display_reason"]
    list_filter = ["status", "kind", ("client", ClientFilter), "entry_date"]
    list_select_related = ["client"]
    # Amounts are searched by value in get_search_results: Django's "=amount" compares text, so "77.70"
    # missed 77.7 on SQLite and every amount on PostgreSQL (stored as "77.700").
    search_fields = ["supplier", "spender", "description", "odoo_name", "pleo_accounting_entry_id"]
    date_hierarchy = "entry_date"
    actions = ["retry_selected"]
    inlines = [ExportRecordAttemptInline]
    fieldsets = [
        ("The Pleo expense", {"fields": ["client", "pleo_accounting_entry_id", "pleo_job_id", "kind", "entry_date",
                                         "supplier", "spender", "description", "amount", "currency", "vat_amount"]}),
        ("The Odoo record", {"fields": ["status", "display_odoo", "odoo_reference", "odoo_state", "booked_date",
                                        "differences", "attempts", "last_error", "failure_reason_type",
                                        "reported_to_pleo_at", "export_run"]}),
        ("What was received and sent", {"fields": ["display_pleo_payload", "display_odoo_values"]}),
    ]
    readonly_fields = ["client", "pleo_accounting_entry_id", "pleo_job_id", "kind", "entry_date", "supplier",
                       "spender", "description", "amount", "currency", "vat_amount", "status", "display_odoo",
                       "odoo_reference", "odoo_state", "booked_date", "differences", "attempts", "last_error",
                       "failure_reason_type", "reported_to_pleo_at", "export_run", "display_pleo_payload",
                       "display_odoo_values"]

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        amount = _amount_or_none(search_term)
        if amount is not None:
            results = results | queryset.filter(amount=amount)
        return results, may_have_duplicates

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("csv/", self.admin_site.admin_view(self.csv_view), name="%s_%s_csv" % info),
            path("preview/", self.admin_site.admin_view(self.preview_choose_view), name="%s_%s_preview_choose" % info),
            path("preview/<int:client_id>/", self.admin_site.admin_view(self.preview_view),
                 name="%s_%s_preview" % info),
            *super().get_urls(),
        ]

    def preview_choose_view(self, request):
        return admin_views.export_preview_choose_view(self, request)

    def preview_view(self, request, client_id):
        return admin_views.export_preview_view(self, request, client_id)

    def csv_view(self, request):
        """Exactly the rows of the filtered list, as CSV (the changelist's own filters and search)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        rows = (writer.writerow(row) for row in [EXPORT_RECORD_CSV_HEADER, *export_records_csv_rows(queryset=queryset)])
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="export-history-{timezone.now():%Y%m%d-%H%M}.csv"'
        return response

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        csv_url = reverse("admin:exports_exportrecord_csv") + (f"?{query}" if query else "")
        return super().changelist_view(request, {**(extra_context or {}), "csv_url": csv_url})

    @admin.display(description="Amount", ordering="amount")
    def display_amount(self, obj):
        return f"{obj.amount} {obj.currency}" if obj.amount is not None else ""

    @admin.display(description="Odoo record", ordering="odoo_name")
    def display_odoo(self, obj):
        if not obj.odoo_record_id:
            return ""
        label = obj.odoo_name or f"record {obj.odoo_record_id}"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.odoo_url, label) if obj.odoo_url else label

    @admin.display(description="Reason")
    def display_reason(self, obj):
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error

    @admin.display(description="Pleo payload")
    def display_pleo_payload(self, obj):
        return _pretty_json(obj.pleo_payload)

    @admin.display(description="Values sent to Odoo")
    def display_odoo_values(self, obj):
        return _pretty_json(obj.odoo_values)

    @admin.action(description="Retry the selected failed records")
    def retry_selected(self, request, queryset):
        try:
            count = services.export_records_retry(records=queryset, by=request.user)
        except PortalError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{count} failed record(s) sent back to Pleo's export queue; they are exported "
                                   "with the client's next run, which has been started.", messages.SUCCESS)
