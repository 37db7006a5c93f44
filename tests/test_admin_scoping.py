"""Per-client scoping, proven for EVERY model registered in the admin, not a list someone keeps up to date.

Client B is exported for real through the sandboxes (connections, mappings, runs, records, attempts); the
staff member handles only client A. For each registered model the test tries what a curious staff member
could: the changelist (with B's id in the client filter too), B's change, history and delete pages, every
admin action POSTed with B's ids, the custom pages that take an id, the CSV download and the autocomplete
endpoint of every relation. A superuser doing the same sees B's rows, so each check can fail. Models
without a client (users, groups, background tasks) are closed to staff altogether."""
import json
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from exports.models import ExportRecord
from integrations.models import Client, ClientAction
from mappings.tax_sync import tax_mapping_sync
from tests.factories import ClientFactory, OdooConnectionFactory, UserFactory

STANDARD_VIEWS = {"changelist", "add", "change", "history", "delete"}


def scoped(model) -> bool:
    return hasattr(model._default_manager.all(), "for_user")


@pytest.fixture
def world(exported, export_client, staff_user, superuser):
    """Client B (the exported one) and client A, the only one the staff member handles."""
    own = ClientFactory(name="Own Client BV")
    own.staff.add(staff_user)
    OdooConnectionFactory(client=own)
    ClientAction.objects.create(client=export_client, kind="verify", status="succeeded", outcome="every check passed")
    tax_mapping_sync(client=export_client, triggered_by="test")
    b_keeper = UserFactory(username="b-keeper")
    export_client.staff.add(b_keeper)
    b_rows = {model: set(model._default_manager.for_user(b_keeper).values_list("pk", flat=True))
              for model in admin.site._registry if scoped(model)}
    assert all(b_rows.values()), [m._meta.label for m, pks in b_rows.items() if not pks]  # every model has B rows
    return {"b": export_client, "own": own, "b_rows": b_rows, "staff": staff_user, "superuser": superuser}


def browser(client, user):
    client.force_login(user)
    return client


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def snapshot(world):
    """B's rows as they are: ids and, where the model has it, when each was last changed."""
    return {model: sorted(model._default_manager.filter(pk__in=pks).values_list(
                "pk", *(["updated_at"] if any(f.name == "updated_at" for f in model._meta.fields) else [])))
            for model, pks in world["b_rows"].items()}


pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("fake_odoo", [17], indirect=True)]


def test_changelists_show_none_of_b_rows(world, client):
    staff = browser(client, world["staff"])
    for model, b_pks in world["b_rows"].items():
        for query in ("", f"?client__id__exact={world['b'].pk}", f"?q={world['b'].name}"):
            page = staff.get(url(model, "changelist") + query)
            if page.status_code == 302 and page.url.endswith("?e=1"):
                continue  # a model without that filter: the admin shows nothing, with "invalid lookup"
            assert page.status_code == 200, (model, query)
            shown = set(page.context["cl"].queryset.values_list("pk", flat=True))
            assert not shown & b_pks, (model._meta.label, query)
            html = page.content.decode()
            assert not any(url(model, "change", pk) in html for pk in b_pks), (model._meta.label, query)
    supervisor = browser(client, world["superuser"])
    for model, b_pks in world["b_rows"].items():
        shown = set(supervisor.get(url(model, "changelist")).context["cl"].queryset.values_list("pk", flat=True))
        assert shown & b_pks, model._meta.label


def test_b_rows_change_history_and_delete_pages_do_not_open(world, client):
    staff = browser(client, world["staff"])
    for model, b_pks in world["b_rows"].items():
        for pk in sorted(b_pks)[:3]:
            for view in ("change", "history", "delete"):
                page = staff.get(url(model, view, pk))
                assert page.status_code in (302, 403, 404), (model._meta.label, view, pk, page.status_code)
                if page.status_code == 302:
                    assert page.url == reverse("admin:index")
    supervisor = browser(client, world["superuser"])
    for model, b_pks in world["b_rows"].items():
        assert supervisor.get(url(model, "change", min(b_pks))).status_code == 200, model._meta.label


def test_no_admin_action_reaches_b_rows(world, client, monkeypatch):
    before = snapshot(world)
    staff = browser(client, world["staff"])
    superuser_request = RequestFactory().get("/")
    superuser_request.user = world["superuser"]
    reached = {}
    for model, b_pks in world["b_rows"].items():
        model_admin = admin.site._registry[model]
        original = model_admin.get_actions

        def spying(request, original=original, label=model._meta.label):
            def spy(func, name):
                def run(modeladmin, request, queryset):
                    reached.setdefault((label, name), set()).update(queryset.values_list("pk", flat=True))
                    return func(modeladmin, request, queryset)
                return run
            return {name: (spy(func, name), name, text) for name, (func, _, text) in original(request).items()}

        monkeypatch.setattr(model_admin, "get_actions", spying)
        for name in model_admin.get_actions(superuser_request):
            staff.post(url(model, "changelist"), {"action": name, "_selected_action": sorted(b_pks)[:5],
                                                  "index": 0, "post": "yes"})
    assert reached, "no action ran at all: the test would prove nothing"
    assert {key: pks for key, pks in reached.items() if pks & set().union(*world["b_rows"].values())} == {}
    assert snapshot(world) == before
    assert not ClientAction.objects.filter(client=world["b"], requested_by=world["staff"]).exists()


def test_custom_pages_that_take_an_id_do_not_open_or_act_for_b(world, client):
    before = snapshot(world)
    staff = browser(client, world["staff"])
    tried = 0
    for model, model_admin in admin.site._registry.items():
        if not scoped(model):
            continue
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None) or ""
            converters = set(pattern.pattern.converters)
            if not converters or name.rsplit("_", 1)[-1] in STANDARD_VIEWS:
                continue
            kwargs = {key: (world["b"].pk if key == "client_id" or model is Client else min(world["b_rows"][model]))
                      for key in converters}
            try:
                target = reverse(f"admin:{name}", kwargs=kwargs)
            except NoReverseMatch:
                continue
            for method in (staff.get, staff.post):
                page = method(target)
                tried += 1
                assert page.status_code in (302, 403, 404, 405), (name, method.__name__, page.status_code)
                assert world["b"].name not in page.content.decode(), name
    assert tried
    assert snapshot(world) == before


def test_custom_pages_that_take_the_client_from_the_query_or_form_do_not_open_or_act_for_b(world, client):
    """The pages without an id in the path (sync now, choose a client, preview, CSV, add with ?client=) read
    the client from the query string or the form: B's id there must get nothing of B and change nothing."""
    before = snapshot(world)
    staff = browser(client, world["staff"])
    b = world["b"].pk
    tried = 0
    for model, model_admin in admin.site._registry.items():
        if not scoped(model):
            continue
        targets = [url(model, "add")]
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None) or ""
            if name and not pattern.pattern.converters and name.rsplit("_", 1)[-1] not in STANDARD_VIEWS:
                targets.append(reverse(f"admin:{name}"))
        for target in targets:
            for page in (staff.get(target, {"client": b, "client__id__exact": b}),
                         staff.post(target, {"client": b, "client_id": b})):
                tried += 1
                body = b"".join(page.streaming_content) if page.streaming else page.content
                assert world["b"].name not in body.decode(), target
    assert tried
    assert snapshot(world) == before


def test_the_csv_download_has_none_of_b_records(world, client):
    b_entries = list(ExportRecord.objects.filter(client=world["b"]).values_list("pleo_accounting_entry_id", flat=True))
    csv_url = reverse("admin:exports_exportrecord_csv")
    own_csv = b"".join(browser(client, world["staff"]).get(csv_url).streaming_content).decode()
    assert not [entry for entry in b_entries if entry in own_csv]
    all_csv = b"".join(browser(client, world["superuser"]).get(csv_url).streaming_content).decode()
    assert all(entry in all_csv for entry in b_entries)


def test_autocomplete_of_every_relation_offers_none_of_b_rows(world, client):
    staff = browser(client, world["staff"])
    checked = found_by_superuser = 0
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete
                    and (field.many_to_one or field.many_to_many or field.one_to_one)):
                continue
            remote = field.related_model
            query = urlencode({"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                               "field_name": field.name, "term": ""})
            page = staff.get(f"{reverse('admin:autocomplete')}?{query}")
            if remote not in world["b_rows"]:
                # A model without a client (users): staff may not list it
                assert page.status_code in (403, 404), (model._meta.label, field.name, page.status_code)
                continue
            if page.status_code != 200:
                continue
            checked += 1
            offered = {int(r["id"]) for r in json.loads(page.content)["results"]}
            assert not offered & world["b_rows"][remote], (model._meta.label, field.name)
            sup = browser(client.__class__(), world["superuser"]).get(f"{reverse('admin:autocomplete')}?{query}")
            found_by_superuser += bool({int(r["id"]) for r in sup.json()["results"]} & world["b_rows"][remote])
    assert checked and found_by_superuser


def test_models_without_a_client_are_closed_to_staff(world, client):
    staff = browser(client, world["staff"])
    unscoped = [model for model in admin.site._registry if not scoped(model)]
    assert unscoped  # users, groups and django-q2's task tables
    for model in unscoped:
        for view in ("changelist", "add"):
            assert staff.get(url(model, view)).status_code == 403, (model._meta.label, view)
        row = model._default_manager.first()
        if row is not None:
            assert staff.get(url(model, "change", row.pk)).status_code in (302, 403), model._meta.label
