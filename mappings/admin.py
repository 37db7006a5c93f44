"""Admin for booking settings, tax and tag mappings and sync runs. Thin: every change is one service call.

Pick lists come from the client's live Odoo and Pleo, so adding settings or a pair starts by choosing the
client (`?client=<id>`). The forms call their service in `clean()`: a refusal (wrong account type, sixth
pair) then shows on the field it concerns, and `save_model` only hands back what the service saved.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404

from integrations.admin import ClientFilter, ClientScopedAdmin
from integrations.errors import PortalError
from integrations.models import Client
from mappings import category_admin  # noqa: F401 (registers CategoryMappingAdmin at admin autodiscovery)
from mappings import selectors
from mappings import tax_admin  # noqa: F401 (registers TaxMappingAdmin and PleoTaxCodeAdmin)
from mappings.admin_mixins import (
    ClientFirstAddMixin,
    OdooListsRefreshMixin,
    PlainClientFieldMixin,
    SyncNowMixin,
    choices_with_current,
    client_from_request,
    saved_hand_back,
    sync_and_report,
)
from mappings.booking_settings import BOOKING_SETTINGS_FIELDS, booking_settings_update
from mappings.choices import EXPORT_ITEM_TYPES, VENDOR_BILL_ITEM_TYPES, KindMode
from mappings.models import (
    ODOO_ACCOUNT_FIELDS,
    ODOO_JOURNAL_FIELDS,
    AnalyticTagMapping,
    BookingSettings,
    SyncRun,
    TagGroupPair,
)
from mappings.tag_sync import tag_group_pair_add, tag_group_pair_delete, tag_sync

__all__ = [
    "BookingSettingsAdmin",
    "TagGroupPairAdmin",
    "TagGroupPairAnalyticTagMappingInline",
    "SyncRunAdmin",
]


# Booking settings ---------------------------------------------------------------------------------

def _odoo_field(label, choices, current_id, current_label, help_text):
    return forms.TypedChoiceField(label=label, choices=choices_with_current(choices, current_id, current_label),
                                  coerce=int, required=False, empty_value=None, help_text=help_text)


class BookingSettingsForm(forms.ModelForm):
    class Meta:
        model = BookingSettings
        fields = ["client", *[f for f in BOOKING_SETTINGS_FIELDS if f != "kind_modes"]]

    def __init__(self, *args, client: Client, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["client"].queryset = Client.objects.filter(pk=client.pk)
        self.fields["client"].initial = client.pk
        self.fields["client"].empty_label = None
        model = BookingSettings._meta
        for name in ODOO_ACCOUNT_FIELDS + ODOO_JOURNAL_FIELDS:
            field = model.get_field(f"{name}_id")
            options = choices.account_choices() if name in ODOO_ACCOUNT_FIELDS else choices.journal_choices()
            self.fields[f"{name}_id"] = _odoo_field(
                field.verbose_name.capitalize(), options, getattr(self.instance, f"{name}_id"),
                getattr(self.instance, f"{name}_label"), field.help_text,
            )
            self.fields[f"{name}_id"].initial = getattr(self.instance, f"{name}_id")
        stored = self.instance.kind_modes or {}
        for item_type in EXPORT_ITEM_TYPES:
            modes = [m for m in KindMode if m != KindMode.VENDOR_BILL or item_type in VENDOR_BILL_ITEM_TYPES]
            default = selectors.kind_mode_for(settings=BookingSettings(**_defaults_of(self.instance)),
                                              item_type=item_type)
            self.fields[f"kind_mode__{item_type}"] = forms.ChoiceField(
                label=item_type.replace("_", " ").capitalize(), required=False, initial=stored.get(item_type, ""),
                choices=[("", f"Default ({KindMode(default).label})")] + [(m.value, m.label) for m in modes],
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        kind_modes = {t: cleaned.pop(f"kind_mode__{t}") for t in EXPORT_ITEM_TYPES if f"kind_mode__{t}" in cleaned}
        data = {k: v for k, v in cleaned.items() if k != "client"}
        data["kind_modes"] = {t: m for t, m in kind_modes.items() if m}
        try:
            self.saved = booking_settings_update(client=self.client, data=data, by=self.user)
        except ValidationError as exc:
            self.add_error(None, exc)
        except PortalError as exc:
            self.add_error(None, str(exc))
        return cleaned

    def _post_clean(self):
        # The service validated and saved; the model's own validate_unique would refuse the row it just made.
        pass


def _defaults_of(settings: BookingSettings) -> dict:
    """The fields kind_mode_for reads, without the stored per-type choices: what "Default" means today."""
    return {name: getattr(settings, name)
            for name in ("card_booking_mode", "out_of_pocket_booking_mode", "wallet_topups")}


@admin.register(BookingSettings)
class BookingSettingsAdmin(OdooListsRefreshMixin, PlainClientFieldMixin, ClientFirstAddMixin, ClientScopedAdmin):
    list_display = ["client", "wallet_account_label", "card_booking_mode", "out_of_pocket_booking_mode",
                    "wallet_topups", "poll_interval_minutes", "updated_at"]
    list_select_related = ["client"]
    search_fields = ["client__name"]
    history_list_display = ["wallet_account_label", "card_booking_mode", "out_of_pocket_booking_mode",
                            "poll_interval_minutes", "kind_modes", "lock_date_policy"]
    fieldsets = [
        (None, {"fields": ["client"]}),
        ("Accounts (from Odoo)", {"fields": [f"{n}_id" for n in ODOO_ACCOUNT_FIELDS if n != "topup_bank_account"]}),
        ("Journals (from Odoo)", {"fields": [f"{n}_id" for n in ODOO_JOURNAL_FIELDS]}),
        ("Card expenses", {"fields": ["card_booking_mode", "card_post_state", "card_receipts"]}),
        ("Out-of-pocket expenses", {"fields": ["out_of_pocket_booking_mode", "out_of_pocket_post_state",
                                               "out_of_pocket_receipts"]}),
        ("Pleo Wallet top-ups", {"fields": ["wallet_topups", "topup_bank_account_id"]}),
        ("Export queue", {"fields": ["poll_interval_minutes", "lock_date_policy"]}),
        ("Booking per expense type", {
            "fields": [f"kind_mode__{t}" for t in EXPORT_ITEM_TYPES],
            "classes": ["collapse"],
            "description": "“Default” follows the card and out-of-pocket modes above; Wallet top-ups and unloads "
                           "follow the top-up setting; every other type is a journal entry.",
        }),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # exports rely on these settings; change them instead

    def get_form(self, request, obj=None, change=False, **kwargs):
        client = obj.client if obj is not None else client_from_request(request)
        if client is None:
            raise Http404
        try:
            choices = selectors.odoo_choices_for(client=client, refresh=bool(request.GET.get("refresh")))
        except PortalError as exc:
            self.message_user(request, f"The lists could not be read from Odoo: {exc}", messages.ERROR)
            choices = selectors.OdooChoices(accounts=(), journals=())
        kwargs["form"] = BookingSettingsForm
        kwargs["fields"] = None
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ClientForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, client=client, choices=choices, **inner)
                self.user = request.user

        return ClientForm

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets

    def save_model(self, request, obj, form, change):
        saved_hand_back(obj, form)


# Tag groups ---------------------------------------------------------------------------------------

class TagGroupPairAnalyticTagMappingInline(admin.TabularInline):
    model = AnalyticTagMapping
    fields = ["display_account", "display_archived", "last_synced_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    @admin.display(description="Odoo analytic account, a tag of the same name in Pleo")
    def display_account(self, obj):
        return str(obj)

    @admin.display(description="In Pleo")
    def display_archived(self, obj):
        return "archived" if obj.archived else ""


class TagGroupPairForm(forms.ModelForm):
    plan = forms.TypedChoiceField(label="Odoo analytic plan", coerce=int)
    tag_group = forms.ChoiceField(
        label="Pleo tag group", required=False,
        help_text="Leave on “create a new tag group” to make one named after the plan.",
    )

    class Meta:
        model = TagGroupPair
        fields = ["client"]

    def __init__(self, *args, client: Client, plans, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["client"].queryset = Client.objects.filter(pk=client.pk)
        self.fields["client"].initial = client.pk
        self.fields["client"].empty_label = None
        self.fields["plan"].choices = plans
        self.fields["tag_group"].choices = [("", "— create a new tag group —")] + [
            (g["id"], f"{g['name']} ({g['code']})") for g in groups
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.saved = tag_group_pair_add(
                client=self.client, plan_id=cleaned["plan"], tag_group_id=cleaned.get("tag_group") or None,
                create_group=not cleaned.get("tag_group"), by=self.user,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        except PortalError as exc:
            self.add_error(None, str(exc))
        return cleaned

    def _post_clean(self):
        pass  # the service validated and saved


@admin.register(TagGroupPair)
class TagGroupPairAdmin(PlainClientFieldMixin, ClientFirstAddMixin, SyncNowMixin, ClientScopedAdmin):
    sync_service = staticmethod(tag_sync)
    list_display = ["odoo_plan_name", "pleo_tag_group_name", "client", "display_tags"]
    list_filter = [("client", ClientFilter)]
    list_select_related = ["client"]
    search_fields = ["odoo_plan_name", "pleo_tag_group_name", "client__name"]
    history_list_display = ["odoo_plan_name", "pleo_tag_group_name"]
    readonly_fields = ["client", "odoo_plan_name", "pleo_tag_group_name"]
    inlines = [TagGroupPairAnalyticTagMappingInline]
    actions = ["sync_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tag_count=Count("tag_mappings"))

    @admin.display(description="Tags", ordering="tag_count")
    def display_tags(self, obj):
        return obj.tag_count

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False  # remove the pair and add another instead

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion goes through the service, one pair at a time
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        client = client_from_request(request)
        if client is None:
            raise Http404
        try:
            plans = selectors.odoo_analytic_plans_for(client=client)
            groups = selectors.pleo_tag_groups_for(client=client)
        except PortalError as exc:
            self.message_user(request, f"The lists could not be read: {exc}", messages.ERROR)
            plans, groups = [], []
        kwargs["form"] = TagGroupPairForm
        kwargs["fields"] = None
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ClientForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, client=client, plans=plans, groups=groups, **inner)
                self.user = request.user

        return ClientForm

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["client", "plan", "tag_group"]})]
        return [(None, {"fields": self.readonly_fields})]

    def save_model(self, request, obj, form, change):
        saved_hand_back(obj, form)

    def delete_model(self, request, obj):
        tag_group_pair_delete(pair=obj, by=request.user)

    @admin.action(description="Sync tags to Pleo now (clients of the selected pairs)")
    def sync_now(self, request, queryset):
        clients = Client.objects.filter(pk__in=queryset.values("client")).for_user(request.user)
        sync_and_report(self, request, clients, tag_sync, request.user)


# Sync runs ----------------------------------------------------------------------------------------

@admin.register(SyncRun)
class SyncRunAdmin(ClientScopedAdmin):
    list_display = ["started_at", "client", "kind", "status", "triggered_by", "display_changes", "errors"]
    list_filter = ["kind", "status", ("client", ClientFilter)]
    list_select_related = ["client"]
    search_fields = ["client__name", "errors", "notes"]
    date_hierarchy = "started_at"

    @admin.display(description="Changes")
    def display_changes(self, obj):
        return (f"{obj.created_count} created, {obj.updated_count} updated, {obj.archived_count} archived, "
                f"{obj.skipped_count} skipped")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
