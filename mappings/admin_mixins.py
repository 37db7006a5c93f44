"""What the mappings admins share: the client chosen first (pick lists are read from its systems), "Sync now", a
Refresh button for the lists read from Odoo, and a client field without the add and change icons."""
from django.contrib import messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.errors import PortalError
from integrations.models import Client

# Shared within the app's admin modules only, hence the leading underscores on the helpers.
__all__ = ["ClientFirstAddMixin", "SyncNowMixin", "OdooListsRefreshMixin", "PlainClientFieldMixin",
           "client_from_request", "choose_client", "sync_and_report", "saved_hand_back", "choices_with_current"]


def client_from_request(request) -> Client | None:
    client_id = request.GET.get("client")
    if not client_id or not str(client_id).isdigit():
        return None
    return Client.objects.for_user(request.user).filter(pk=client_id).first()


class ClientFirstAddMixin:
    """The add page first asks which client, because its pick lists are read from that client's systems."""

    def add_view(self, request, form_url="", extra_context=None):
        if client_from_request(request) is None:
            return choose_client(self, request, title=f"Add {self.opts.verbose_name}: choose the client",
                                  link=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_add"))
        return super().add_view(request, form_url, extra_context)


def choose_client(model_admin, request, *, title: str, link: str = "", post: str = ""):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "clients": Client.objects.for_user(request.user),
        "link": link,
        "post": post,
    }
    return TemplateResponse(request, "admin/mappings/choose_client.html", context)


def sync_and_report(model_admin, request, clients, sync, user) -> None:
    for client in clients:
        try:
            run = sync(client=client, by=user)
        except PortalError as exc:
            model_admin.message_user(request, f"{client}: {exc}", messages.ERROR)
            continue
        if run.status == "failed":
            model_admin.message_user(request, f"{client}: the sync failed: {run.errors}", messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"{client}: {run.created_count} created, {run.updated_count} updated, {run.archived_count} archived, "
                f"{run.skipped_count} skipped.",
                messages.SUCCESS,
            )


class SyncNowMixin:
    """A "Sync now" button above the list: choose a client, then the sync runs for it."""

    change_list_template = "admin/mappings/sync_change_list.html"
    sync_service = None

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("sync/", self.admin_site.admin_view(self.sync_view), name="%s_%s_sync" % info),
            *super().get_urls(),
        ]

    def sync_view(self, request):
        info = self.opts.app_label, self.opts.model_name
        url = reverse("admin:%s_%s_sync" % info)
        if request.method == "GET":
            return choose_client(self, request, title=f"Sync {self.opts.verbose_name_plural} now: choose the client",
                                  post=url)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        client = Client.objects.for_user(request.user).filter(pk=request.POST.get("client") or 0).first()
        if client is None or not self.has_view_permission(request):
            raise Http404
        sync_and_report(self, request, [client], type(self).sync_service, request.user)
        return HttpResponseRedirect(reverse("admin:%s_%s_changelist" % info) + f"?client__id__exact={client.pk}")

    def changelist_view(self, request, extra_context=None):
        info = self.opts.app_label, self.opts.model_name
        extra_context = {**(extra_context or {}), "sync_url": reverse("admin:%s_%s_sync" % info)}
        return super().changelist_view(request, extra_context)


class OdooListsRefreshMixin:
    """A "Refresh the lists from Odoo" button on the form: the page again with `refresh=1`; saving drops it."""

    change_form_template = "admin/mappings/refresh_change_form.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        query = request.GET.copy()
        query.pop("refresh", None)
        kept = query.urlencode()
        query["refresh"] = "1"
        extra_context = {**(extra_context or {}), "refresh_url": f"?{query.urlencode()}"}
        if not form_url and "refresh" in request.GET:
            form_url = f"?{kept}" if kept else request.path  # saving does not read the lists again
        return super().changeform_view(request, object_id, form_url, extra_context)


class PlainClientFieldMixin:
    """The client of a mapping is chosen, never added, changed or deleted from its form: no icons beside it."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "client" and field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            widget = field.widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
            widget.can_view_related = False
        return field


def saved_hand_back(obj, form) -> None:
    """The admin logs and redirects with `obj`: give it the values of the row the service saved."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(form.saved, field.attname))
    obj._state.adding = False
    form.instance = form.saved


def choices_with_current(options, current_id, current_label) -> list:
    """A pick list read from Odoo, plus the stored choice when Odoo no longer offers it (saving it is refused)."""
    choices = [("", "—")] + list(options)
    if current_id and current_id not in {value for value, _ in options}:
        choices.append((current_id, f"{current_label or current_id} (no longer offered by Odoo)"))
    return choices
