"""Admin for category mappings: the list, the page mapping all of a client's categories, the copy to another client."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.admin import ClientFilter, ClientScopedAdmin
from integrations.errors import PortalError
from integrations.models import Client
from mappings import selectors
from mappings.admin_mixins import choices_with_current, choose_client, client_from_request
from mappings.category_mappings import category_mapping_bulk_update, category_mappings_copy, category_mappings_refresh
from mappings.models import CategoryMapping

__all__ = ["CategoryMappingAdmin"]


def _odoo_pick_lists(client: Client, *, refresh: bool = False):
    """(account choices, tax choices) as "code name", or empty lists plus the reason Odoo could not be read."""
    try:
        choices = selectors.odoo_choices_for(client=client, refresh=refresh)
        taxes = selectors.odoo_purchase_taxes_for(client=client, refresh=refresh)
    except PortalError as exc:
        return [], [], str(exc)
    accounts = [(o.id, o.label) for o in choices.accounts]
    return accounts, [(o.id, o.label) for o in taxes], ""


class CategoryMapForm(forms.Form):
    """One row of the bulk page: a Pleo category, its Odoo account and default tax."""

    id = forms.IntegerField(widget=forms.HiddenInput)
    odoo_account_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Odoo account")
    default_tax_id = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Default tax")

    def __init__(self, *args, mapping: CategoryMapping, accounts, taxes, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping = mapping
        self.fields["odoo_account_id"].choices = choices_with_current(accounts, mapping.odoo_account_id,
                                                                      mapping.odoo_account_label)
        self.fields["default_tax_id"].choices = choices_with_current(taxes, mapping.default_tax_id,
                                                                     mapping.default_tax_label)


class CopyMappingsForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Client.objects.none(), label="Copy to client")

    def __init__(self, *args, user, source: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Client.objects.for_user(user).exclude(pk=source.pk)


@admin.register(CategoryMapping)
class CategoryMappingAdmin(ClientScopedAdmin):
    """The list of mappings plus one page per client that maps every category at once (`map/<client>/`)."""

    change_list_template = "admin/mappings/categorymapping_change_list.html"
    list_display = ["display_category", "client", "display_odoo_account", "default_tax_label", "display_status"]
    list_filter = [("client", ClientFilter), "archived_in_pleo"]
    list_select_related = ["client"]
    search_fields = ["pleo_account_code", "pleo_account_name", "odoo_account_label", "client__name"]
    history_list_display = ["odoo_account_label", "default_tax_label", "archived_in_pleo"]
    actions = ["refresh_from_pleo", "copy_to_client"]

    def has_add_permission(self, request):
        return False  # rows come from Pleo ("Refresh categories from Pleo")

    def has_change_permission(self, request, obj=None):
        # Editing happens on the bulk page, through the service; the per-row form stays read-only.
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # an export may need it; archived in Pleo instead

    @admin.display(description="Pleo category", ordering="pleo_account_code")
    def display_category(self, obj):
        return f"{obj.pleo_account_code} {obj.pleo_account_name}".strip()

    @admin.display(description="Odoo account", ordering="odoo_account_label")
    def display_odoo_account(self, obj):
        return obj.odoo_account_label or "Not mapped"

    @admin.display(description="In Pleo", ordering="archived_in_pleo")
    def display_status(self, obj):
        return "archived" if obj.archived_in_pleo else ""

    def get_urls(self):
        return [
            path("map/", self.admin_site.admin_view(self.choose_view), name="mappings_categorymapping_choose"),
            path("map/<int:client_id>/", self.admin_site.admin_view(self.map_view),
                 name="mappings_categorymapping_map"),
            *super().get_urls(),
        ]

    def choose_view(self, request):
        client = client_from_request(request)
        if client is not None:
            return HttpResponseRedirect(reverse("admin:mappings_categorymapping_map", args=[client.pk]))
        return choose_client(self, request, title="Map categories: choose the client",
                              link=reverse("admin:mappings_categorymapping_choose"))

    def _client_or_404(self, request, client_id) -> Client:
        client = Client.objects.for_user(request.user).filter(pk=client_id).first()
        if client is None or not self.has_view_permission(request):
            raise Http404
        return client

    def map_view(self, request, client_id):
        client = self._client_or_404(request, client_id)
        url = reverse("admin:mappings_categorymapping_map", args=[client.pk])
        can_change = super().has_change_permission(request)
        if request.method == "POST" and not can_change:
            raise Http404
        if request.method == "POST" and "refresh" in request.POST:
            try:
                changed = category_mappings_refresh(client=client, by=request.user)
                self.message_user(request, f"Categories read from Pleo: {changed} new or changed.", messages.SUCCESS)
            except PortalError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(url)
        accounts, taxes, odoo_error = _odoo_pick_lists(client, refresh=bool(request.GET.get("refresh")))
        if odoo_error:
            self.message_user(request, f"The lists could not be read from Odoo: {odoo_error}", messages.ERROR)
        mappings = list(CategoryMapping.objects.filter(client=client).order_by("archived_in_pleo", "pleo_account_code",
                                                                             "pleo_account_name"))
        data = request.POST if request.method == "POST" else None
        forms_ = [CategoryMapForm(data, prefix=f"m{m.pk}", mapping=m, accounts=accounts, taxes=taxes,
                                  initial={"id": m.pk, "odoo_account_id": m.odoo_account_id,
                                           "default_tax_id": m.default_tax_id})
                  for m in mappings]
        error = ""
        if request.method == "POST":
            if all(f.is_valid() for f in forms_):
                rows = [{"id": f.mapping.pk, "odoo_account_id": f.cleaned_data["odoo_account_id"],
                         "default_tax_id": f.cleaned_data["default_tax_id"]} for f in forms_]
                try:
                    changed = category_mapping_bulk_update(client=client, rows=rows, by=request.user)
                except ValidationError as exc:
                    error = exc.messages
                except PortalError as exc:
                    error = [str(exc)]
                else:
                    self.message_user(request, f"{changed} category mapping(s) saved.", messages.SUCCESS)
                    return HttpResponseRedirect(url)
            else:
                error = ["Some rows hold a choice Odoo no longer offers; refresh the page and choose again."]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Map the Pleo categories of {client}",
            "client": client,
            "rows": forms_,
            "errors": error,
            "can_change": can_change,
            "odoo_error": odoo_error,
        }
        return TemplateResponse(request, "admin/mappings/category_map.html", context)

    def _one_client(self, request, queryset) -> Client | None:
        clients = list(Client.objects.filter(pk__in=queryset.values("client")).for_user(request.user))
        if len(clients) != 1:
            self.message_user(request, "Select rows of one client only.", messages.ERROR)
            return None
        return clients[0]

    @admin.action(description="Refresh categories from Pleo (clients of the selected rows)")
    def refresh_from_pleo(self, request, queryset):
        for client in Client.objects.filter(pk__in=queryset.values("client")).for_user(request.user):
            try:
                changed = category_mappings_refresh(client=client, by=request.user)
            except PortalError as exc:
                self.message_user(request, f"{client}: {exc}", messages.ERROR)
                continue
            self.message_user(request, f"{client}: {changed} categories new or changed.", messages.SUCCESS)

    @admin.action(description="Copy mappings to another client")
    def copy_to_client(self, request, queryset):
        source = self._one_client(request, queryset)
        if source is None:
            return None
        form = CopyMappingsForm(request.POST if "apply" in request.POST else None, user=request.user, source=source)
        if form.is_valid():
            try:
                result = category_mappings_copy(source=source, target=form.cleaned_data["target"],
                                                         by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return None
            except PortalError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            target = form.cleaned_data["target"]
            self.message_user(request, f"{target}: {len(result.matched)} categories matched, {result.copied} changed.",
                              messages.SUCCESS)
            for line in result.unmatched:
                self.message_user(request, f"Not copied: {line}", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:mappings_categorymapping_map", args=[target.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Copy the category mappings of {source} to another client",
            "source": source,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/mappings/copy_mappings.html", context)
