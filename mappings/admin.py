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

from integrations.admin import ClientAdmin, ClientFilter, ClientScopedAdmin
from integrations.errors import PortalError
from integrations.models import Client
from mappings import selectors, services
from mappings.choices import EXPORT_ITEM_TYPES, VENDOR_BILL_ITEM_TYPES, KindMode
from mappings.models import (
    ODOO_ACCOUNT_FIELDS,
    ODOO_JOURNAL_FIELDS,
    AnalyticTagMapping,
    BookingSettings,
    CategoryMapping,
    SyncRun,
    TagGroupPair,
    TaxMapping,
)

__all__ = [
    "BookingSettingsAdmin",
    "TaxMappingAdmin",
    "TagGroupPairAdmin",
    "TagGroupPairAnalyticTagMappingInline",
    "SyncRunAdmin",
    "CategoryMappingAdmin",
    "MappingsClientAdmin",
]


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
        fields = ["client", *[f for f in services.BOOKING_SETTINGS_FIELDS if f != "kind_modes"]]

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
            default = selectors.kind_mode_for(settings=BookingSettings(**_defaults_of(self.instance)), item_type=item_type)
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
            self.saved = services.booking_settings_update(client=self.client, data=data, by=self.user)
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
    return {name: getattr(settings, name) for name in ("card_booking_mode", "out_of_pocket_booking_mode", "wallet_topups")}


@admin.register(BookingSettings)
class BookingSettingsAdmin(ClientFirstAddMixin, ClientScopedAdmin):
    list_display = ["client", "wallet_account_label", "card_booking_mode", "out_of_pocket_booking_mode",
                    "wallet_topups", "poll_interval_minutes", "updated_at"]
    list_select_related = ["client"]
    search_fields = ["client__name"]
    history_list_display = ["wallet_account_label", "card_booking_mode", "out_of_pocket_booking_mode",
                            "poll_interval_minutes", "kind_modes", "lock_date_policy"]
    fieldsets = [
        (None, {"fields": ["client"]}),
        ("Accounts (from Odoo)", {"fields": [f"{n}_id" for n in ODOO_ACCOUNT_FIELDS if n != "topup_bank_account"],
                                  "description": "Add ?refresh=1 to the address to read the lists from Odoo again."}),
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


# Category mappings --------------------------------------------------------------------------------

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
        self.fields["odoo_account_id"].choices = _with_current(accounts, mapping.odoo_account_id, mapping.odoo_account_label)
        self.fields["default_tax_id"].choices = _with_current(taxes, mapping.default_tax_id, mapping.default_tax_label)


def _with_current(options, current_id, current_label):
    choices = [("", "—")] + list(options)
    if current_id and current_id not in {value for value, _ in options}:
        choices.append((current_id, f"{current_label or current_id} (no longer offered by Odoo)"))
    return choices


class CopyMappingsForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Client.objects.none(), label="Copy to client")

    def __init__(self, *args, user, source: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Client.objects.for_user(user).exclude(pk=source.pk)


@admin.register(CategoryMapping)
class CategoryMappingAdmin(ClientScopedAdmin):
    """The list of mappings plus one page per client that maps every category at once (`map/<client>/`)."""

    change_list_template = "admin/mappings/categorymapping_change_list.html"
    list_display = ["display_category", "client", "odoo_account_label", "default_tax_label", "archived_in_pleo",
                    "last_seen_at"]
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

    def get_urls(self):
        return [
            path("map/", self.admin_site.admin_view(self.choose_view), name="mappings_categorymapping_choose"),
            path("map/<int:client_id>/", self.admin_site.admin_view(self.map_view), name="mappings_categorymapping_map"),
            *super().get_urls(),
        ]

    def choose_view(self, request):
        client = _client_from_request(request)
        if client is not None:
            return HttpResponseRedirect(reverse("admin:mappings_categorymapping_map", args=[client.pk]))
        return _choose_client(self, request, title="Map categories: choose the client",
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
                changed = services.category_mappings_refresh(client=client, by=request.user)
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
                    changed = services.category_mapping_bulk_update(client=client, rows=rows, by=request.user)
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
                changed = services.category_mappings_refresh(client=client, by=request.user)
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
                result = services.category_mappings_copy(source=source, target=form.cleaned_data["target"],
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


# The client page: mapping problems, the last sync runs, the setup helper --------------------------

class MappingsClientAdmin(ClientAdmin):
    """ClientAdmin plus what the mappings know about the client. Registered in place of ClientAdmin, so
    integrations does not import mappings (apps depend downward only)."""

    change_form_template = "admin/mappings/client_change_form.html"

    def get_urls(self):
        return [
            path("<int:object_id>/setup/", self.admin_site.admin_view(self.setup_view), name="integrations_client_setup"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        client = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {}
        if client is not None:
            extra = {
                "mapping_problems": [
                    {"message": p.message, "url": reverse(p.link, args=p.link_args) if p.link else ""}
                    for p in selectors.mapping_problems(client=client)
                ],
                "sync_runs": selectors.sync_runs_for(user=request.user, client=client)[:5],
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
                created = services.setup_apply(client=client, proposal_ids=request.POST.getlist("proposal"),
                                               by=request.user)
            except PortalError as exc:
                error = str(exc)
        try:
            proposal = services.setup_proposal(client=client)
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


admin.site.unregister(Client)
admin.site.register(Client, MappingsClientAdmin)
