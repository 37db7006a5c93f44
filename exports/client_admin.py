"""The client admin's top layer: the client page, its background actions and the staff's bulk actions.

Registered in place of mappings' client admin (by ExportsConfig.ready, after the admin modules are
loaded), the way that one replaces integrations': the page shows export runs and the bulk retry calls
the export services, and apps depend downward only. Thin: every change is one service call.
"""
from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from exports.choices import ExportRecordStatus
from exports.client_actions import client_action_progress, export_runs_for
from exports.models import ExportRecord
from exports.services import export_records_retry
from integrations.actions import client_action_request, client_actions_for
from integrations.choices import ClientActionKind, ClientActionStatus
from integrations.errors import PortalError
from integrations.models import Client
from mappings import selectors as mapping_selectors
from mappings.admin import MappingsClientAdmin
from mappings.models import BookingSettings

__all__ = ["ExportsClientAdmin", "client_admin_register"]

RESULT_LABELS = {True: "✔ passed", False: "✘ failed", None: "– not checked"}


def _check_rows(report: dict) -> list[dict]:
    return [
        {**check, "result": "! recommended" if check["passed"] is False and not check["required"]
         else RESULT_LABELS[check["passed"]]}
        for check in (report or {}).get("checks", [])
    ]


def _connection_box(client: Client, attribute: str, model_name: str, label: str) -> dict:
    connection = getattr(client, attribute, None)
    if connection is None:
        return {"label": label, "connection": None,
                "add_url": reverse(f"admin:integrations_{model_name}_add") + f"?client={client.pk}"}
    return {
        "label": label,
        "connection": connection,
        "url": reverse(f"admin:integrations_{model_name}_change", args=[connection.pk]),
        "checks": _check_rows(connection.check_report),
    }


def _action_json(action) -> dict:
    """What the page's script shows of an action: no credentials, only what the page itself shows."""
    return {
        "id": action.pk,
        "kind": action.kind,
        "label": action.get_kind_display(),
        "status": action.status,
        "status_label": action.get_status_display(),
        "progress": client_action_progress(action=action),
        "outcome": action.outcome,
        "requested_by": action.requested_by.get_username() if action.requested_by else "",
        "requested_at": timezone.localtime(action.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        "busy": action.status in ClientActionStatus.busy(),
    }


class ExportsClientAdmin(MappingsClientAdmin):
    change_form_template = "admin/integrations/client/change_form.html"
    list_display = ["display_name", "status", "display_odoo", "display_pleo", "display_staff"]
    list_display_links = None  # the name opens the client page, which links to the edit form
    actions = ["retry_failed_exports", "verify_connections", "pause_clients", "resume_clients"]

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/overview/", view(self.overview_view), name="integrations_client_overview"),
            path("<int:object_id>/overview/run/", view(self.action_view), name="integrations_client_action"),
            path("<int:object_id>/overview/actions.json", view(self.actions_json_view),
                 name="integrations_client_actions_json"),
            *super().get_urls(),
        ]

    def _client_or_404(self, request, object_id) -> Client:
        client = self.get_queryset(request).filter(pk=object_id).first()
        if client is None or not self.has_view_permission(request, client):
            raise Http404
        return client

    @admin.display(description="Name", ordering="name")
    def display_name(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:integrations_client_overview", args=[obj.pk]), obj.name)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {}
        if str(object_id).isdigit():
            extra["overview_url"] = reverse("admin:integrations_client_overview", args=[object_id])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    # The client page ------------------------------------------------------------------------------

    def overview_view(self, request, object_id):
        client = self._client_or_404(request, object_id)
        problems = [
            {"message": p.message, "url": reverse(p.link, args=p.link_args) if p.link else ""}
            for p in mapping_selectors.mapping_problems(client=client)
        ]
        actions = list(client_actions_for(user=request.user, client=client)[:5])
        history = reverse("admin:exports_exportrecord_changelist") + f"?client__id__exact={client.pk}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": client,
            "title": client.name,
            "client": client,
            "connections": [_connection_box(client, "odoo_connection", "odooconnection", "Odoo"),
                            _connection_box(client, "pleo_connection", "pleoconnection", "Pleo")],
            "booking_settings": BookingSettings.objects.filter(client=client).first(),
            "mapping_problems": problems,
            "export_runs": export_runs_for(user=request.user, client=client)[:10],
            "sync_runs": mapping_selectors.sync_runs_for(user=request.user, client=client)[:10],
            "actions": [_action_json(a) for a in actions],
            "busy": any(a.status in ClientActionStatus.busy() for a in actions),
            "kinds": ClientActionKind.choices,
            "can_change": self.has_change_permission(request, client),
            "links": {
                "change": reverse("admin:integrations_client_change", args=[client.pk]),
                "history": history,
                "failed": history + f"&status__exact={ExportRecordStatus.FAILED}",
                "runs": reverse("admin:exports_exportrun_changelist") + f"?client__id__exact={client.pk}",
                "categories": reverse("admin:mappings_categorymapping_map", args=[client.pk]),
                "taxes": reverse("admin:mappings_taxmapping_changelist") + f"?client__id__exact={client.pk}",
                "tags": reverse("admin:mappings_taggrouppair_changelist") + f"?client__id__exact={client.pk}",
                "setup": reverse("admin:integrations_client_setup", args=[client.pk]),
                "settings_add": reverse("admin:mappings_bookingsettings_add") + f"?client={client.pk}",
                "actions_json": reverse("admin:integrations_client_actions_json", args=[client.pk]),
                "run": reverse("admin:integrations_client_action", args=[client.pk]),
            },
        }
        return TemplateResponse(request, "admin/integrations/client/overview.html", context)

    def action_view(self, request, object_id):
        """Queue Verify, Sync now or Export now (POST), then back to the client page, which shows its progress."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        client = self._client_or_404(request, object_id)
        if not self.has_change_permission(request, client):
            raise Http404
        kind = request.POST.get("kind", "")
        try:
            action, queued = client_action_request(client=client, kind=kind, by=request.user)
        except PortalError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.action_report(request, action, queued)
        return HttpResponseRedirect(reverse("admin:integrations_client_overview", args=[client.pk]))

    def actions_json_view(self, request, object_id):
        client = self._client_or_404(request, object_id)
        actions = [_action_json(a) for a in client_actions_for(user=request.user, client=client)[:5]]
        return JsonResponse({"actions": actions, "busy": any(a["busy"] for a in actions)})

    # Bulk actions ---------------------------------------------------------------------------------

    @admin.action(description="Retry failed exports of selected clients")
    def retry_failed_exports(self, request, queryset):
        records = ExportRecord.objects.for_user(request.user).filter(status=ExportRecordStatus.FAILED)
        retried, clients = 0, 0
        for client in queryset:
            try:
                count = export_records_retry(records=records.filter(client=client), by=request.user)
            except PortalError as exc:
                self.message_user(request, f"{client}: {exc}", messages.ERROR)
                continue
            retried += count
            clients += bool(count)
        if retried:
            self.message_user(request, f"{retried} failed export(s) of {clients} client(s) sent back to Pleo's export "
                                       "queue; their export runs now.", messages.SUCCESS)
        else:
            self.message_user(request, "The selected clients have no failed exports to retry.", messages.INFO)


def client_admin_register(site=admin.site) -> None:
    site.unregister(Client)
    site.register(Client, ExportsClientAdmin)
