"""Admin for taxes: the sync's tax mappings (read-only) and the tax codes made in Pleo, each given its Odoo tax here."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from integrations.admin import ClientFilter, ClientScopedAdmin
from integrations.errors import PortalError
from integrations.formats import rate
from integrations.models import Client
from mappings import selectors
from mappings.admin_mixins import (
    OdooListsRefreshMixin,
    SyncNowMixin,
    choices_with_current,
    choose_client,
    client_from_request,
    saved_hand_back,
    sync_and_report,
)
from mappings.choices import PleoTaxType
from mappings.models import PLEO_TAX_TYPE_WORDS, PleoTaxCode, TaxMapping
from mappings.pleo_tax_codes import pleo_tax_code_map, pleo_tax_codes_refresh
from mappings.tax_sync import tax_mapping_sync

__all__ = ["TaxMappingAdmin", "PleoTaxCodeAdmin", "OdooTaxChosenFilter"]


def _pleo_rate(fraction) -> str:
    return rate(fraction * 100) if fraction is not None else ""


@admin.register(TaxMapping)
class TaxMappingAdmin(SyncNowMixin, ClientScopedAdmin):
    sync_service = staticmethod(tax_mapping_sync)
    change_list_template = "admin/mappings/taxmapping_change_list.html"
    list_display = ["odoo_tax_name", "client", "display_rate", "display_in_pleo", "last_synced_at"]
    list_filter = [("client", ClientFilter), "archived", "pleo_type"]
    list_select_related = ["client"]
    search_fields = ["odoo_tax_name", "pleo_tax_code", "client__name"]
    fields = ["client", "odoo_tax_name", "display_rate", "display_in_pleo", "pleo_tax_code", "last_synced_at"]
    readonly_fields = ["display_rate", "display_in_pleo"]
    history_list_display = ["odoo_tax_name", "skip_reason"]  # a rate changed shows in "Changes"
    actions = ["sync_now"]

    def has_add_permission(self, request):
        return False  # made by the sync only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an export may point at it; the sync archives instead

    @admin.display(description="Rate", ordering="odoo_tax_rate")
    def display_rate(self, obj):
        if obj.odoo_amount_type and obj.odoo_amount_type != "percent":
            return ""  # a fixed amount, not a rate: "In Pleo" says why it is not offered
        odoo, pleo = rate(obj.odoo_tax_rate), _pleo_rate(obj.pleo_rate)
        return f"{odoo} in Odoo, {pleo} in Pleo (until the next sync)" if pleo and pleo != odoo else odoo

    @admin.display(description="In Pleo", ordering="pleo_type")
    def display_in_pleo(self, obj):
        if not obj.pleo_tax_code_id:
            return f"Not in Pleo: {obj.skip_reason}" if obj.skip_reason else "Not in Pleo yet"
        if obj.archived:
            return f"Archived: {obj.skip_reason}" if obj.skip_reason else "Archived"
        return PLEO_TAX_TYPE_WORDS.get(obj.pleo_type, obj.pleo_type)

    @admin.action(description="Sync taxes to Pleo now (clients of the selected rows)")
    def sync_now(self, request, queryset):
        clients = Client.objects.filter(pk__in=queryset.values("client")).for_user(request.user)
        sync_and_report(self, request, clients, tax_mapping_sync, request.user)


class OdooTaxChosenFilter(admin.SimpleListFilter):
    title = "Odoo tax"
    parameter_name = "odoo_tax"

    def lookups(self, request, model_admin):
        return [("chosen", "Chosen"), ("missing", "Not chosen")]

    def queryset(self, request, queryset):
        if self.value() in ("chosen", "missing"):
            return queryset.filter(odoo_tax_id__isnull=self.value() == "missing")
        return queryset


class PleoTaxCodeForm(forms.ModelForm):
    odoo_tax = forms.TypedChoiceField(label="Odoo tax", coerce=int, required=False, empty_value=None)

    class Meta:
        model = PleoTaxCode
        fields = []

    def __init__(self, *args, taxes, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.instance
        reverse = code.pleo_type == PleoTaxType.REVERSE
        fitting = [(t.id, t.label) for t in taxes
                   if (code.pleo_rate is None or t.rate == code.pleo_rate) and t.reverse == reverse]
        field = self.fields["odoo_tax"]
        field.choices = choices_with_current(fitting, code.odoo_tax_id, code.odoo_tax_name)
        field.initial = code.odoo_tax_id
        what = f"{_pleo_rate(code.pleo_rate)}{' reverse charge' if reverse else ''}".strip()
        field.help_text = (f"The Odoo purchase taxes of {what}. Expenses with this Pleo tax code are booked with it."
                           if fitting else
                           f"Odoo has no active purchase tax of {what}: create one in Odoo (Accounting → "
                           "Configuration → Taxes), then press “Refresh the lists from Odoo”.")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.saved = pleo_tax_code_map(tax_code=self.instance, odoo_tax_id=cleaned.get("odoo_tax"), by=self.user)
        except ValidationError as exc:
            self.add_error("odoo_tax", exc)
        except PortalError as exc:
            self.add_error(None, str(exc))
        return cleaned

    def _post_clean(self):
        pass  # the service validated and saved


@admin.register(PleoTaxCode)
class PleoTaxCodeAdmin(OdooListsRefreshMixin, ClientScopedAdmin):
    """Tax codes a client made in Pleo: each gets its Odoo tax here; the rows come from Pleo."""

    change_list_template = "admin/mappings/pleotaxcode_change_list.html"
    list_display = ["display_code", "client", "display_rate", "display_type", "display_odoo_tax"]
    list_filter = [("client", ClientFilter), OdooTaxChosenFilter, "archived"]
    list_select_related = ["client"]
    search_fields = ["pleo_tax_code", "pleo_tax_name", "odoo_tax_name", "client__name"]
    readonly_fields = ["client", "display_code", "display_rate", "display_type", "last_seen_at", "display_odoo_tax"]
    history_list_display = ["odoo_tax_name"]

    def has_add_permission(self, request):
        return False  # read from Pleo ("Read the tax codes from Pleo")

    def has_delete_permission(self, request, obj=None):
        return False  # an expense still to export may carry it; archived when Pleo drops it

    @admin.display(description="Pleo tax code", ordering="pleo_tax_code")
    def display_code(self, obj):
        return f"{obj.words} (archived in Pleo)" if obj.archived else obj.words

    @admin.display(description="Rate", ordering="pleo_rate")
    def display_rate(self, obj):
        return _pleo_rate(obj.pleo_rate)

    @admin.display(description="Type", ordering="pleo_type")
    def display_type(self, obj):
        return PLEO_TAX_TYPE_WORDS.get(obj.pleo_type, obj.pleo_type)

    @admin.display(description="Odoo tax", ordering="odoo_tax_name")
    def display_odoo_tax(self, obj):
        return obj.odoo_tax_name or "Not chosen: its expenses fail"

    def get_form(self, request, obj=None, change=False, **kwargs):
        taxes = ()
        if obj is not None and self.has_change_permission(request, obj):
            try:
                taxes = selectors.odoo_purchase_taxes_for_pleo(client=obj.client,
                                                               refresh=bool(request.GET.get("refresh")))
            except PortalError as exc:
                self.message_user(request, f"The Odoo taxes could not be read: {exc}", messages.ERROR)
        kwargs["form"] = PleoTaxCodeForm
        # One who may only look gets the fields read-only; Django cannot exclude "all fields" given as None.
        kwargs["fields"] = None if self.has_change_permission(request, obj) else []
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ClientForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, taxes=taxes, **inner)
                self.user = request.user

        return ClientForm

    def get_fieldsets(self, request, obj=None):
        # One who may only look sees the chosen tax; the pick list is for those who may change it.
        odoo = "odoo_tax" if self.has_change_permission(request, obj) else "display_odoo_tax"
        return [("In Pleo", {"fields": ["client", "display_code", "display_rate", "display_type", "last_seen_at"]}),
                ("Booked in Odoo with", {"fields": [odoo]})]

    def save_model(self, request, obj, form, change):
        saved_hand_back(obj, form)

    def get_urls(self):
        return [path("read/", self.admin_site.admin_view(self.read_view), name="mappings_pleotaxcode_read"),
                *super().get_urls()]

    def read_view(self, request):
        """Read a client's tax codes from Pleo now, then open the row of `code_id` (else the client's list).

        A GET, so that a failure's "Map tax code" link lands on the row: reading only mirrors what Pleo holds,
        and reading twice changes nothing.
        """
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        client = client_from_request(request)
        if client is None:
            return choose_client(self, request, title="Read the tax codes from Pleo: choose the client",
                                 link=reverse("admin:mappings_pleotaxcode_read"))
        listed = reverse("admin:mappings_pleotaxcode_changelist") + f"?client__id__exact={client.pk}"
        try:
            changed = pleo_tax_codes_refresh(client=client, by=request.user)
        except PortalError as exc:
            self.message_user(request, f"{client}: the tax codes could not be read from Pleo: {exc}", messages.ERROR)
            return HttpResponseRedirect(listed)
        self.message_user(request, f"{client}: tax codes read from Pleo, {changed} new or changed.", messages.SUCCESS)
        code_id = request.GET.get("code_id") or ""
        row = PleoTaxCode.objects.filter(client=client, pleo_tax_code_id=code_id).first() if code_id else None
        if row is not None:
            return HttpResponseRedirect(reverse("admin:mappings_pleotaxcode_change", args=[row.pk]))
        if code_id:
            mapping = TaxMapping.objects.filter(client=client, pleo_tax_code_id=code_id).first()
            if mapping is not None:
                return HttpResponseRedirect(reverse("admin:mappings_taxmapping_change", args=[mapping.pk]))
            code = request.GET.get("code") or code_id
            self.message_user(request, f"{client}'s Pleo has no tax code “{code}” (any more). Retry the expense: "
                                       "Pleo sends its tax code again.", messages.WARNING)
        return HttpResponseRedirect(listed)
