"""Admin for clients and their connections. Thin: every change goes through integrations.services."""
from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from integrations import services, verify_odoo, verify_pleo
from integrations.choices import WebhookStatus
from integrations.errors import PortalError
from integrations.forms import OdooConnectionForm, PleoConnectionForm
from integrations.models import Client, ClientAction, OdooConnection, PleoConnection
from integrations.webhooks import webhook_endpoint_url

__all__ = ["ClientScopedMixin", "ClientFilter", "ClientScopedAdmin", "OdooConnectionAdmin", "PleoConnectionAdmin",
           "ClientActionAdmin"]

admin.site.site_header = "Pleo → Odoo portal"
admin.site.site_title = "Pleo → Odoo portal"
admin.site.index_title = "Clients, mappings and exports"


class ClientScopedMixin:
    """Shows a staff member only the rows of clients assigned to them (C3)."""

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "client":
            kwargs["queryset"] = Client.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ClientFilter(admin.RelatedFieldListFilter):
    """The client filter lists only the clients the user handles (the default lists every client)."""

    def field_choices(self, field, request, model_admin):
        return [(client.pk, str(client)) for client in Client.objects.for_user(request.user)]

    def has_output(self):
        # Kept even for a user who handles one client: Django drops a one-choice filter and ignores its
        # parameter, so "?client__id__exact=<another client>" would list the user's own rows instead of none.
        return True


class ClientScopedAdmin(ClientScopedMixin, SimpleHistoryAdmin):
    """A client-scoped admin with simple-history's pages, scoped too."""

    def _visible_or_404(self, request, object_id) -> None:
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the history rows of an object the queryset hides; we don't.
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def _report_html(report: dict):
    if not report:
        return "Not verified yet: press Verify."
    rows = format_html_join(
        "",
        '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                {True: "✔ passed", False: "✘ failed" if c["required"] else "! recommended",
                 None: "– not checked"}[c["passed"]],
                c["title"],
                c["detail"],
                c["fix"],
            )
            for c in report.get("checks", [])
        ),
    )
    return format_html(
        '<table class="check-report"><thead><tr><th>Result</th><th>Check</th><th>Found</th>'
        "<th>What to do</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


def _verify_and_report(model_admin, request, connection, verify) -> None:
    """Run one Verify and tell the user the outcome in one message."""
    try:
        report = verify(connection=connection)
    except PortalError as exc:
        model_admin.message_user(request, f"{connection}: {exc}", messages.ERROR)
        return
    if report.passed:
        model_admin.message_user(request, f"{connection}: every check passed.", messages.SUCCESS)
    else:
        failed = "; ".join(f"{c.title}: {c.detail}" for c in report.failures if c.required)
        model_admin.message_user(request, f"{connection}: {failed}", messages.ERROR)


class ConnectionAdminMixin:
    """Verify button, bulk Verify action and the check report, shared by both connection admins."""

    change_form_template = "admin/integrations/connection_change_form.html"
    verify_service = None
    actions = ["verify_selected"]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/verify/", self.admin_site.admin_view(self.verify_view), name="%s_%s_verify" % info),
            *super().get_urls(),
        ]

    def verify_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        connection = self.get_object(request, object_id)
        if connection is None or not self.has_change_permission(request, connection):
            raise Http404
        _verify_and_report(self, request, connection, type(self).verify_service)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                            args=[connection.pk]))

    @admin.action(description="Verify the selected connections")
    def verify_selected(self, request, queryset):
        for connection in queryset:
            _verify_and_report(self, request, connection, type(self).verify_service)

    @admin.display(description="Check report")
    def display_check_report(self, obj):
        return _report_html(obj.check_report)

    @admin.display(description="Verified", boolean=True, ordering="verification_passed")
    def display_verified(self, obj):
        return obj.verification_passed

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class ScopedForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return ScopedForm


@admin.register(OdooConnection)
class OdooConnectionAdmin(ConnectionAdminMixin, ClientScopedAdmin):
    form = OdooConnectionForm
    verify_service = staticmethod(verify_odoo.odoo_connection_verify)
    list_display = ["client", "url", "database", "company_name", "server_version", "display_verified", "verified_at"]
    list_filter = ["verification_passed"]
    search_fields = ["client__name", "url", "database", "company_name"]
    list_select_related = ["client"]
    readonly_fields = ["server_version", "user_id", "verified_at", "display_check_report"]
    history_list_display = ["url", "database", "login", "company_name"]
    fieldsets = [
        (None, {"fields": ["client", "url", "database", "login", "new_api_key"]}),
        ("Company", {"fields": ["company"]}),
        ("Last verification", {"fields": ["verified_at", "server_version", "user_id", "display_check_report"]}),
    ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        connection = services.odoo_connection_save(
            client=data["client"], data={k: data[k] for k in ("url", "database", "login")}, api_key=data["new_api_key"]
        )
        if data.get("company") and data["company"] != connection.company_id:
            verify_odoo.odoo_company_choose(connection=connection, company_id=data["company"])
        form.instance = connection
        obj.pk = connection.pk


@admin.register(PleoConnection)
class PleoConnectionAdmin(ConnectionAdminMixin, ClientScopedAdmin):
    form = PleoConnectionForm
    verify_service = staticmethod(verify_pleo.pleo_connection_verify)
    list_display = ["client", "api_base_url", "company_name", "company_id", "display_verified", "verified_at"]
    list_filter = ["verification_passed"]
    search_fields = ["client__name", "company_name", "company_id"]
    list_select_related = ["client"]
    readonly_fields = ["verified_at", "display_check_report", "webhook_status", "display_webhook_address",
                       "webhook_problem", "webhook_checked_at", "webhook_delivered_at", "webhook_refused_count",
                       "webhook_refused_at"]
    history_list_display = ["api_base_url", "company_id", "company_name"]
    fieldsets = [
        (None, {"fields": ["client", "api_base_url", "new_api_token"]}),
        ("Company", {"fields": ["company_id", "company_name"],
                     "description": "Filled in by Verify when the token belongs to one company; enter the id "
                                    "when it belongs to an organisation."}),
        ("Last verification", {"fields": ["verified_at", "display_check_report"]}),
        ("Pleo's webhook", {"fields": ["webhook_status", "display_webhook_address", "webhook_problem",
                                       "webhook_checked_at", "webhook_delivered_at", "webhook_refused_count",
                                       "webhook_refused_at"],
                            "description": "Pleo announces new export jobs here, so they are exported at once; "
                                           "Verify subscribes or repairs it (README: Pleo's webhooks)."}),
    ]

    @admin.display(description="delivered to")
    def display_webhook_address(self, obj):
        return webhook_endpoint_url(obj) if obj.pk and obj.webhook_status == WebhookStatus.ACTIVE else "-"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        connection = services.pleo_connection_save(
            client=data["client"],
            data={k: data[k] for k in ("api_base_url", "company_id", "company_name")},
            api_token=data["new_api_token"],
        )
        form.instance = connection
        obj.pk = connection.pk


@admin.register(ClientAction)
class ClientActionAdmin(ClientScopedMixin, admin.ModelAdmin):
    """What was asked for on client pages and how it went; written only by integrations.actions."""

    list_display = ["created_at", "client", "kind", "status", "requested_by", "outcome", "finished_at"]
    list_filter = ["kind", "status", ("client", ClientFilter)]
    list_select_related = ["client", "requested_by"]
    search_fields = ["client__name", "outcome"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
