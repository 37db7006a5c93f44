"""Custom admin pages of the exports app, mounted by ExportRecordAdmin.get_urls (STYLE C8).

"Preview pending exports": for one client, every expense waiting in Pleo's export queue and the exact
Odoo record the export would create, or why it would not. It reads Pleo and Odoo and writes nothing.
"Failures by cause": the failed records grouped by what is missing, each with its fix and a retry of them all.
The CSV of the export history, and the retries of the list, the record page and the failures page.
"""
import csv
from itertools import chain

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from exports.choices import ExportRecordStatus
from exports.failures import export_failure_causes
from exports.retry import export_records_retry
from exports.selectors import (
    export_preview_clients,
    export_preview_entries,
    export_record_csv_header,
    export_records_csv_rows,
)
from integrations.errors import PortalError
from integrations.models import Client

__all__ = ["export_preview_choose_view", "export_preview_view", "export_failures_view", "export_failures_retry_view",
           "export_record_retry_view", "export_records_csv_view", "records_retry"]


def _allowed_or_404(model_admin, request) -> None:
    if not model_admin.has_view_permission(request):
        raise Http404


def export_preview_choose_view(model_admin, request):
    """The client chooser in front of the preview."""
    _allowed_or_404(model_admin, request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Preview pending exports: choose the client",
        "clients": [(client, reverse("admin:exports_exportrecord_preview", args=[client.pk]))
                    for client in export_preview_clients(user=request.user)],
    }
    return TemplateResponse(request, "admin/exports/exportrecord/preview_choose.html", context)


def export_preview_view(model_admin, request, client_id: int):
    _allowed_or_404(model_admin, request)
    # A client the user does not handle is "not found", never "forbidden": its name stays unknown.
    client = export_preview_clients(user=request.user).filter(pk=client_id).first()
    if client is None:
        raise Http404
    entries, error = [], ""
    try:
        entries = export_preview_entries(client=client)
    except PortalError as exc:
        error = str(exc)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Preview of the next export of {client}",
        "client": client,
        "entries": entries,
        "error": error,
        "refused": sum(1 for e in entries if e.refusal),
        "skipped": sum(1 for e in entries if e.skip_reason),
        "booked": sum(1 for e in entries if e.record_type),
        "choose_url": reverse("admin:exports_exportrecord_preview_choose"),
    }
    return TemplateResponse(request, "admin/exports/exportrecord/preview.html", context)


def export_failures_view(model_admin, request):
    """The user's failed records by cause, of every client or, with ?client__id__exact=<id>, of one."""
    _allowed_or_404(model_admin, request)
    client_id, client, records = request.GET.get("client__id__exact", ""), None, None
    if client_id:
        client = Client.objects.for_user(request.user).filter(pk=client_id).first() if client_id.isdigit() else None
        if client is None:
            raise Http404
        records = model_admin.get_queryset(request).filter(client=client)
    causes = export_failure_causes(user=request.user, records=records)
    list_url = reverse("admin:exports_exportrecord_changelist") + f"?status__exact={ExportRecordStatus.FAILED}" + (
        f"&client__id__exact={client.pk}" if client else "")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Failures by cause of {client}" if client else "Failures by cause",
        "client": client,
        "show_client": client is None,
        "causes": causes,
        "failed": sum(cause.count for cause in causes),
        "list_url": list_url,
    }
    return TemplateResponse(request, "admin/exports/exportrecord/failures.html", context)


def export_failures_retry_view(model_admin, request):
    """POST: retry the failed records of one cause (their ids in `records`), then back to `next`."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _allowed_or_404(model_admin, request)
    ids = [int(pk) for pk in request.POST.get("records", "").split(",") if pk.strip().isdigit()]
    records_retry(model_admin, request, model_admin.get_queryset(request).filter(pk__in=ids))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("admin:exports_exportrecord_failures")
    return HttpResponseRedirect(back)


def export_record_retry_view(model_admin, request, object_id: int):
    """POST: retry one failed record from its page, then back to the page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _allowed_or_404(model_admin, request)
    records = model_admin.get_queryset(request).filter(pk=object_id)
    if not records.exists():
        raise Http404
    records_retry(model_admin, request, records)
    return HttpResponseRedirect(reverse("admin:exports_exportrecord_change", args=[object_id]))


def records_retry(model_admin, request, records, *, changed_in_odoo: bool = False) -> None:
    """export_records_retry of `records` (failed ones, or with `changed_in_odoo` those changed in Odoo since),
    and the admin message that says how many went back to Pleo's export queue."""
    try:
        count = export_records_retry(records=records, by=request.user, changed_in_odoo=changed_in_odoo)
    except PortalError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return
    if changed_in_odoo:
        if not count:
            model_admin.message_user(request, "None of the selected records changed in Odoo since they were exported "
                                              "(filter on “changed in Odoo since” to find those that did).",
                                     messages.WARNING)
            return
        model_admin.message_user(request, f"{count} record(s) changed in Odoo sent back to Pleo's export queue; the "
                                          "client's next run, which has been started, books again what was cancelled "
                                          "or deleted and takes on what is live.", messages.SUCCESS)
        return
    if not count:
        model_admin.message_user(request, "None of the selected records failed, so there was nothing to retry. Only "
                                          "failed records can be retried; exported and skipped ones are settled.",
                                 messages.WARNING)
        return
    what = "1 failed record" if count == 1 else f"{count} failed records"
    model_admin.message_user(request, f"{what} queued for export again: sent back to Pleo's export queue, and the "
                                      "client's export has been started.", messages.SUCCESS)


def export_records_csv_view(model_admin, request):
    """Exactly the rows of the filtered list, as CSV (the changelist's own filters and search)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    queryset = model_admin.get_changelist_instance(request).get_queryset(request)

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    rows = export_records_csv_rows(queryset=queryset, site_url=request.build_absolute_uri("/").rstrip("/"))
    response = StreamingHttpResponse((writer.writerow(row) for row in chain([export_record_csv_header()], rows)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="export-history-{timezone.localtime():%Y%m%d-%H%M}.csv"'
    return response
