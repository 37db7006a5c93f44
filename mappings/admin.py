"""Admin for booking settings, tax and tag mappings and sync runs. Thin: every change is one service call.

Pick lists come from the client's live Odoo and Pleo, so adding settings or a pair starts by choosing the
client (`?client=<id>`). The forms call their service in `clean()`: a refusal (wrong account type, sixth
pair) then shows on the field it concerns, and `save_model` only hands back what the service saved.
"""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from integrations.admin import ClientScopedAdmin
from integrations.errors import PortalError
from integrations.models import Client
from mappings import selectors, services
from mappings.models import (
    ODOO_ACCOUNT_FIELDS,
    ODOO_JOURNAL_FIELDS,
    AnalyticTagMapping,
    BookingSettings,
    SyncRun,
    TagGroupPair,
    TaxMapping,
)

__all__ = [
    "ClientFilter",
    "BookingSettingsAdmin",
    "TaxMappingAdmin",
    "TagGroupPairAdmin",
    "TagGroupPairAnalyticTagMappingInline",
    "SyncRunAdmin",
]


class ClientFilter(admin.RelatedFieldListFilter):
    """The client filter lists only the clients the user handles (the default lists every client)."""

    def field_choices(self, field, request, model_admin):
        return [(client.pk, str(client)) for client in Client.objects.for_user(request.user)]


def _client_from_request(request) -> Client | None:
    client_id = request.GET.get("client")
    if not client_id or not str(client_id).isdigit():
        return None
    return Client.objects.for_user(request.user).filter(pk=client_id).first()


class ClientFirstAddMixin:
    """The add page first asks which client, because its pick lists are read from that client's systems."""

    def add_view(self, request, form_url="", extra_context=None):
        if _client_from_request(request) is None:
            return _choose_client(self, request, title=f"Add {self.opts.verbose_name}: choose the client",
                                  link=reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_add"))
        return super().add_view(request, form_url, extra_context)


def _choose_client(model_admin, request, *, title: str, link: str = "", post: str = ""):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "clients": Client.objects.for_user(request.user),
        "link": link,
        "post": post,
    }
    return TemplateResponse(request, "admin/mappings/choose_client.html", context)


def _sync_and_report(model_admin, request, clients, sync, user) -> None:
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
            return _choose_client(self, request, title=f"Sync {self.opts.verbose_name_plural} now: choose the client", post=url)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        client = Client.objects.for_user(request.user).filter(pk=request.POST.get("client") or 0).first()
        if client is None or not self.has_view_permission(request):
            raise Http404
        _sync_and_report(self, request, [client], type(self).sync_service, request.user)
        return HttpResponseRedirect(reverse("admin:%s_%s_changelist" % info) + f"?client__id__exact={client.pk}")

    def changelist_view(self, request, extra_context=None):
        info = self.opts.app_label, self.opts.model_name
        extra_context = {**(extra_context or {}), "sync_url": reverse("admin:%s_%s_sync" % info)}
        return super().changelist_view(request, extra_context)


def _saved_hand_back(obj, form) -> None:
    """The admin logs and redirects with `obj`: give it the values of the row the service saved."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(form.saved, field.attname))
    obj._state.adding = False
    form.instance = form.saved


# Booking settings ---------------------------------------------------------------------------------

def _odoo_field(label, choices, current_id, current_label, help_text):
    options = [("", "—")] + list(choices)
    if current_id and current_id not in {value for value, _ in choices}:
        # Kept visible so the bookkeeper sees what is stored; saving it again is refused with the reason.
        options.append((current_id, f"{current_label or current_id} (no longer offered by Odoo)"))
    return forms.TypedChoiceField(label=label, choices=options, coerce=int, required=False, empty_value=None,
                                  help_text=help_text)


class BookingSettingsForm(forms.ModelForm):
    class Meta:
        model = BookingSettings
        fields = ["client", *services.BOOKING_SETTINGS_FIELDS]

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

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {k: v for k, v in cleaned.items() if k != "client"}
        try:
            self.saved = services.booking_settings_update(client=self.client, data=data, by=self.user)
        except ValidationError as exc:
            self.add_error(None, exc)
        except PortalError as exc:
            self.add_error(None, str(exc))
        return cleaned

    def _post_clean(self):
        # The service validated and saved; the model's own validate_unique would refuse the row it just made.
        pass


@admin.register(BookingSettings)
class BookingSettingsAdmin(ClientFirstAddMixin, ClientScopedAdmin):
    list_display = ["client", "wallet_account_label", "card_booking_mode", "out_of_pocket_booking_mode",
                    "wallet_topups", "poll_interval_minutes", "updated_at"]
    list_select_related = ["client"]
    search_fields = ["client__name"]
    history_list_display = ["wallet_account_label", "card_booking_mode", "out_of_pocket_booking_mode",
                            "poll_interval_minutes"]
    fieldsets = [
        (None, {"fields": ["client"]}),
        ("Accounts (from Odoo)", {"fields": [f"{n}_id" for n in ODOO_ACCOUNT_FIELDS if n != "topup_bank_account"],
                                  "description": "Add ?refresh=1 to the address to read the lists from Odoo again."}),
        ("Journals (from Odoo)", {"fields": [f"{n}_id" for n in ODOO_JOURNAL_FIELDS]}),
        ("Card expenses", {"fields": ["card_booking_mode", "card_post_state", "card_receipts"]}),
        ("Out-of-pocket expenses", {"fields": ["out_of_pocket_booking_mode", "out_of_pocket_post_state",
                                               "out_of_pocket_receipts"]}),
        ("Pleo Wallet top-ups", {"fields": ["wallet_topups", "topup_bank_account_id"]}),
        ("Export queue", {"fields": ["poll_interval_minutes"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # exports rely on these settings; change them instead

    def get_form(self, request, obj=None, change=False, **kwargs):
        client = obj.client if obj is not None else _client_from_request(request)
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
        _saved_hand_back(obj, form)


# Taxes --------------------------------------------------------------------------------------------

@admin.register(TaxMapping)
class TaxMappingAdmin(SyncNowMixin, ClientScopedAdmin):
    sync_service = staticmethod(services.tax_mapping_sync)
    list_display = ["odoo_tax_name", "client", "odoo_tax_rate", "odoo_amount_type", "pleo_tax_code", "pleo_rate",
                    "pleo_type", "archived", "skip_reason", "last_synced_at"]
    list_filter = [("client", ClientFilter), "archived", "pleo_type"]
    list_select_related = ["client"]
    search_fields = ["odoo_tax_name", "pleo_tax_code", "client__name"]
    history_list_display = ["odoo_tax_rate", "pleo_rate", "pleo_type", "archived", "skip_reason"]
    actions = ["sync_now"]

    def has_add_permission(self, request):
        return False  # made by the sync only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an export may point at it; the sync archives instead

    @admin.action(description="Sync taxes to Pleo now (clients of the selected rows)")
    def sync_now(self, request, queryset):
        clients = Client.objects.filter(pk__in=queryset.values("client")).for_user(request.user)
        _sync_and_report(self, request, clients, services.tax_mapping_sync, request.user)


# Tag groups ---------------------------------------------------------------------------------------

class TagGroupPairAnalyticTagMappingInline(admin.TabularInline):
    model = AnalyticTagMapping
    fields = ["odoo_analytic_account_name", "odoo_analytic_account_code", "pleo_tag_code", "archived",
              "last_synced_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


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
            self.saved = services.tag_group_pair_add(
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
class TagGroupPairAdmin(ClientFirstAddMixin, SyncNowMixin, ClientScopedAdmin):
    sync_service = staticmethod(services.tag_sync)
    list_display = ["odoo_plan_name", "pleo_tag_group_name", "pleo_tag_group_code", "client", "display_tags"]
    list_filter = [("client", ClientFilter)]
    list_select_related = ["client"]
    search_fields = ["odoo_plan_name", "pleo_tag_group_name", "client__name"]
    history_list_display = ["odoo_plan_name", "pleo_tag_group_name"]
    readonly_fields = ["client", "odoo_plan_name", "pleo_tag_group_name", "pleo_tag_group_code"]
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
        client = _client_from_request(request)
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
        _saved_hand_back(obj, form)

    def delete_model(self, request, obj):
        services.tag_group_pair_delete(pair=obj, by=request.user)

    @admin.action(description="Sync tags to Pleo now (clients of the selected pairs)")
    def sync_now(self, request, queryset):
        clients = Client.objects.filter(pk__in=queryset.values("client")).for_user(request.user)
        _sync_and_report(self, request, clients, services.tag_sync, request.user)


# Sync runs ----------------------------------------------------------------------------------------

@admin.register(SyncRun)
class SyncRunAdmin(ClientScopedAdmin):
    list_display = ["started_at", "client", "kind", "status", "triggered_by", "created_count", "updated_count",
                    "archived_count", "skipped_count", "errors", "finished_at"]
    list_filter = ["kind", "status", ("client", ClientFilter)]
    list_select_related = ["client"]
    search_fields = ["client__name", "errors", "notes"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
