"""The clients' list and the client page, defined once, here in the top app, from what each app exposes.

integrations gives the clients, their connections and the background actions; mappings the mapping
problems, the sync runs and the setup helper; exports the export runs and the bulk retry. Thin: every
change is one service call.
"""
from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from dashboard.selectors import pleo_webhook_words
from exports.choices import ExportRecordStatus
from exports.failures import export_failure_causes
from exports.client_actions import client_action_progress, export_runs_for
from exports.models import ExportRecord
from exports.retry import export_records_retry
from integrations.actions import client_action_request, client_actions_for
from integrations.admin import ClientScopedAdmin
from integrations.choices import ClientActionKind, ClientActionStatus
from integrations.errors import PortalError
from integrations.formats import moment
from integrations.models import Client
from integrations.services import client_create, clients_status_set, model_update
from mappings import selectors as mapping_selectors
from mappings.models import BookingSettings
from mappings.setup_helper import setup_apply, setup_proposal

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
    checks = _check_rows(connection.check_report)
    return {
        "label": label,
        "connection": connection,
        "url": reverse(f"admin:integrations_{model_name}_change", args=[connection.pk]),
        # What needs reading first; the checks that passed fold away (a report is a dozen rows).
        "checks": [check for check in checks if check["passed"] is not True],
        "checks_passed": [check for check in checks if check["passed"] is True],
        "webhook": pleo_webhook_words(connection, now=timezone.now()) if label == "Pleo" else None,
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
        "requested_at": moment(action.created_at),
        "busy": action.status in ClientActionStatus.busy(),
    }


def _problems(client: Client) -> list[dict]:
    return [{"message": p.message, "url": reverse(p.link, args=p.link_args) if p.link else ""}
            for p in mapping_selectors.mapping_problems(client=client)]


@admin.register(Client)
class ClientAdmin(ClientScopedAdmin):
    change_form_template = "admin/integrations/client/change_form.html"
    list_display = ["display_name", "status", "display_odoo", "display_pleo", "display_staff"]
    list_display_links = None  # the name opens the client page, which links to the edit form
    list_filter = ["status", "staff"]
    search_fields = ["name", "notes"]
    readonly_fields = ["display_odoo", "display_pleo"]
    filter_horizontal = ["staff"]
    actions = ["retry_failed_exports", "verify_connections", "pause_clients", "resume_clients"]
    history_list_display = ["name", "status"]

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:object_id>/overview/", view(self.overview_view), name="integrations_client_overview"),
            path("<int:object_id>/overview/run/", view(self.action_view), name="integrations_client_action"),
            path("<int:object_id>/overview/actions.json", view(self.actions_json_view),
                 name="integrations_client_actions_json"),
            path("<int:object_id>/setup/", view(self.setup_view), name="integrations_client_setup"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("odoo_connection", "pleo_connection")
                .prefetch_related("staff"))

    def get_fields(self, request, obj=None):
        fields = ["name", "status", "notes"]
        if request.user.is_superuser:
            fields.append("staff")
        return fields + (["display_odoo", "display_pleo"] if obj else [])

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            model_update(instance=obj, fields=["name", "status", "notes"], data=data)
        else:
            created = client_create(name=data["name"], notes=data.get("notes", ""), status=data["status"],
                                    by=request.user)
            obj.pk = created.pk
            form.instance = created

    def save_related(self, request, form, formsets, change):
        if request.user.is_superuser:
            form.instance.staff.set(form.cleaned_data.get("staff", []))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # The list and the edit form --------------------------------------------------------------------------

    @admin.display(description="Name", ordering="name")
    def display_name(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:integrations_client_overview", args=[obj.pk]),
                           obj.name)

    def _connection_link(self, obj, attribute, model_name, label):
        connection = getattr(obj, attribute, None)
        if connection is None:
            url = reverse(f"admin:integrations_{model_name}_add") + f"?client={obj.pk}"
            return format_html('<a href="{}">Set up {}</a>', url, label)
        state = {True: "✔ verified", False: "✘ failing", None: "not verified"}[connection.verification_passed]
        url = reverse(f"admin:integrations_{model_name}_change", args=[connection.pk])
        return format_html('<a href="{}">{}</a> {}', url, state, connection.company_name)

    @admin.display(description="Odoo")
    def display_odoo(self, obj):
        return self._connection_link(obj, "odoo_connection", "odooconnection", "Odoo")

    @admin.display(description="Pleo")
    def display_pleo(self, obj):
        return self._connection_link(obj, "pleo_connection", "pleoconnection", "Pleo")

    @admin.display(description="Handled by")
    def display_staff(self, obj):
        return ", ".join(u.get_username() for u in obj.staff.all())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        client = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {}
        if client is not None:
            extra = {
                "overview_url": reverse("admin:integrations_client_overview", args=[client.pk]),
                "mapping_problems": _problems(client),
            # What the client's failed exports proved missing, beside what the mappings show.
            "failure_causes": export_failure_causes(user=request.user, records=ExportRecord.objects.filter(
                client=client)),
                "sync_runs": mapping_selectors.sync_runs_for(user=request.user, client=client)[:5],
                "setup_url": reverse("admin:integrations_client_setup", args=[client.pk]),
                "map_url": reverse("admin:mappings_categorymapping_map", args=[client.pk]),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def setup_view(self, request, object_id):
        client = self.get_queryset(request).filter(pk=object_id).first()
        if client is None:
            raise Http404
        created, proposal, error = [], [], ""
        if request.method == "POST":
            if not self.has_change_permission(request, client):
                raise Http404
            try:
                created = setup_apply(client=client, proposal_ids=request.POST.getlist("proposal"),
                                               by=request.user)
            except PortalError as exc:
                error = str(exc)
        try:
            proposal = setup_proposal(client=client)
        except PortalError as exc:
            error = error or str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": client,
            "title": f"Set up Odoo for {client}",
            "client": client,
            "proposal": proposal,
            "created": created,
            "error": error,
        }
        return TemplateResponse(request, "admin/mappings/setup_helper.html", context)

    # The client page -------------------------------------------------------------------------------------

    def _client_or_404(self, request, object_id) -> Client:
        client = self.get_queryset(request).filter(pk=object_id).first()
        if client is None or not self.has_view_permission(request, client):
            raise Http404
        return client

    def overview_view(self, request, object_id):
        client = self._client_or_404(request, object_id)
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
            "mapping_problems": _problems(client),
            # What the client's failed exports proved missing, beside what the mappings show.
            "failure_causes": export_failure_causes(user=request.user, records=ExportRecord.objects.filter(
                client=client)),
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
                "failures": reverse("admin:exports_exportrecord_failures") + f"?client__id__exact={client.pk}",
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

    # Bulk actions ----------------------------------------------------------------------------------------

    @admin.action(description="Verify connections of selected clients")
    def verify_connections(self, request, queryset):
        # Queued per client: fifty clients verified inside one request would time out.
        queued = waiting = 0
        for client in queryset:
            action, is_new = client_action_request(client=client, kind=ClientActionKind.VERIFY, by=request.user)
            if action.status in ClientActionStatus.busy():
                queued, waiting = queued + is_new, waiting + (not is_new)
            else:
                self.action_report(request, action, is_new)  # a synchronous cluster ran it already
        if queued:
            self.message_user(request, f"Verify queued for {queued} client(s); each client's page shows the outcome.")
        if waiting:
            self.message_user(request, f"Verify was already waiting or running for {waiting} client(s); "
                                       "not queued twice.", messages.WARNING)

    def action_report(self, request, action, queued: bool) -> None:
        """One message about an action just asked for: its outcome if it already ran, else that it waits."""
        label = action.get_kind_display()
        if action.status == ClientActionStatus.SUCCEEDED:
            self.message_user(request, f"{label}: {action.outcome}", messages.SUCCESS)
        elif action.status == ClientActionStatus.FAILED:
            self.message_user(request, f"{label}: {action.outcome}", messages.ERROR)
        elif queued:
            self.message_user(request, f"{action.client}: {label} is queued; its progress shows below.", messages.INFO)
        else:
            self.message_user(request, f"{action.client}: {label} was already {action.get_status_display().lower()}; "
                                       "it was not queued a second time.", messages.WARNING)

    @admin.action(description="Pause the selected clients")
    def pause_clients(self, request, queryset):
        count = clients_status_set(clients=queryset, status="paused")
        self.message_user(request, f"{count} client(s) paused: their exports and syncs stop until resumed.")

    @admin.action(description="Resume the selected clients")
    def resume_clients(self, request, queryset):
        count = clients_status_set(clients=queryset, status="active")
        self.message_user(request, f"{count} client(s) resumed.")

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
