"""Custom admin pages of the exports app, mounted by ExportRecordAdmin.get_urls (STYLE C8).

"Preview pending exports": for one client, every expense waiting in Pleo's export queue and the exact
Odoo record the export would create, or why it would not. It reads Pleo and Odoo and writes nothing.
"""
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse

from exports.selectors import export_preview_clients, export_preview_entries
from integrations.errors import PortalError

__all__ = ["export_preview_choose_view", "export_preview_view"]


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
