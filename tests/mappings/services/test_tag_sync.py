"""Tag groups and tags: up to five Odoo analytic plans paired with Pleo tag groups, their accounts pushed as tags."""
import pytest
from django.core.exceptions import ValidationError

from mappings.choices import SyncRunStatus
from mappings.models import AnalyticTagMapping, TagGroupPair
from mappings.selectors import odoo_analytic_plans_for
from mappings.tag_sync import tag_group_pair_add, tag_sync
from sandbox.pleo.models import Tag, TagGroup

# Both databases: rows updated under SELECT ... FOR UPDATE.
pytestmark = pytest.mark.both_databases


def plan_id(client, name):
    return next(pid for pid, plan_name in odoo_analytic_plans_for(client=client) if plan_name == name)


def tags_of(pair):
    return {t.code: t for t in Tag.objects.filter(group__uuid=pair.pleo_tag_group_id)}


@pytest.fixture
def projects_pair(connected_client, superuser):
    return tag_group_pair_add(client=connected_client, plan_id=plan_id(connected_client, "Projects"),
                              create_group=True, by=superuser)


@pytest.mark.django_db
def test_pairing_a_plan_with_a_new_group_creates_it_in_pleo(projects_pair, fake_pleo, superuser):
    group = TagGroup.objects.get(uuid=projects_pair.pleo_tag_group_id)
    assert (group.code, group.name) == (f"odoo-plan-{projects_pair.odoo_plan_id}", "Projects")
    assert projects_pair.history.first().history_user == superuser


@pytest.mark.django_db
def test_first_run_pushes_the_plans_analytic_accounts_as_tags(connected_client, projects_pair, odoo_admin):
    run = tag_sync(client=connected_client)
    assert run.status == SyncRunStatus.SUCCEEDED, run.errors
    assert run.created_count == 2
    accounts = list(odoo_admin.search_read("account.analytic.account", [("plan_id", "=", projects_pair.odoo_plan_id)],
                                           ["name"]))
    tags = tags_of(projects_pair)
    assert {t.name for t in tags.values()} == {"Project Apollo", "Project Zephyr"}
    assert set(tags) == {f"odoo-{a['id']}" for a in accounts}  # no code in Odoo: odoo-<id>
    mappings = AnalyticTagMapping.objects.filter(pair=projects_pair)
    assert {(m.odoo_analytic_account_name, m.pleo_tag_id) for m in mappings} == {
        (t.name, str(t.uuid)) for t in tags.values()}


@pytest.mark.django_db
def test_second_run_without_changes_changes_nothing(connected_client, projects_pair):
    tag_sync(client=connected_client)
    before = {c: t.updated_at for c, t in tags_of(projects_pair).items()}
    run = tag_sync(client=connected_client)
    assert (run.created_count, run.updated_count, run.archived_count) == (0, 0, 0)
    assert {c: t.updated_at for c, t in tags_of(projects_pair).items()} == before


@pytest.mark.django_db
def test_renamed_analytic_account_renames_its_tag(connected_client, projects_pair, odoo_admin):
    tag_sync(client=connected_client)
    apollo = AnalyticTagMapping.objects.get(pair=projects_pair, odoo_analytic_account_name="Project Apollo")
    odoo_admin.write("account.analytic.account", [apollo.odoo_analytic_account_id], {"name": "Apollo II"})
    run = tag_sync(client=connected_client)
    assert (run.created_count, run.updated_count, run.archived_count) == (0, 1, 0)
    assert Tag.objects.get(uuid=apollo.pleo_tag_id).name == "Apollo II"
    assert Tag.objects.filter(group__uuid=projects_pair.pleo_tag_group_id).count() == 2


@pytest.mark.django_db
def test_archived_analytic_account_archives_its_tag(connected_client, projects_pair, odoo_admin):
    tag_sync(client=connected_client)
    zephyr = AnalyticTagMapping.objects.get(pair=projects_pair, odoo_analytic_account_name="Project Zephyr")
    odoo_admin.write("account.analytic.account", [zephyr.odoo_analytic_account_id], {"active": False})
    run = tag_sync(client=connected_client)
    assert (run.created_count, run.updated_count, run.archived_count) == (0, 0, 1)
    assert Tag.objects.get(uuid=zephyr.pleo_tag_id).archived is True
    zephyr.refresh_from_db()
    assert zephyr.archived is True


@pytest.mark.django_db
def test_new_analytic_account_with_a_code_becomes_a_tag_with_that_code(connected_client, projects_pair, odoo_admin):
    tag_sync(client=connected_client)
    odoo_admin.create("account.analytic.account", {"name": "Project Orion", "code": "PRJ-ORION",
                                                   "plan_id": projects_pair.odoo_plan_id, "company_id": 1})
    run = tag_sync(client=connected_client)
    assert run.created_count == 1
    assert tags_of(projects_pair)["PRJ-ORION"].name == "Project Orion"


@pytest.mark.django_db
def test_pleo_failure_records_a_failed_run_and_the_retry_does_not_duplicate(connected_client, projects_pair, fake_pleo):
    from sandbox.pleo.services import fault_add

    fault_add(company=fake_pleo.company, method="POST",
              path_prefix=f"/v0/tag-groups/{projects_pair.pleo_tag_group_id}/tags", kind="http_500", count=1)
    run = tag_sync(client=connected_client)
    assert run.status == SyncRunStatus.FAILED and "Pleo" in run.errors
    retry = tag_sync(client=connected_client)
    assert retry.status == SyncRunStatus.SUCCEEDED
    assert Tag.objects.filter(group__uuid=projects_pair.pleo_tag_group_id).count() == 2


@pytest.mark.django_db
def test_sixth_pair_is_refused(connected_client):
    for n in range(5):
        TagGroupPair.objects.create(client=connected_client, odoo_plan_id=100 + n, odoo_plan_name=f"Plan {n}",
                                    pleo_tag_group_id=f"group-{n}", pleo_tag_group_code=f"G{n}",
                                    pleo_tag_group_name=f"Group {n}")
    with pytest.raises(ValidationError, match="already pairs 5 analytic plans .* Remove a pair first"):
        tag_group_pair_add(client=connected_client, plan_id=plan_id(connected_client, "Projects"), create_group=True)
    assert TagGroupPair.objects.filter(client=connected_client).count() == 5


@pytest.mark.django_db
def test_one_tag_group_cannot_take_two_plans(connected_client, fake_pleo):
    existing = str(TagGroup.objects.get(company=fake_pleo.company, code="PRJ").uuid)
    tag_group_pair_add(client=connected_client, plan_id=plan_id(connected_client, "Projects"), tag_group_id=existing)
    with pytest.raises(ValidationError, match="already paired with the Odoo analytic plan “Projects”"):
        tag_group_pair_add(client=connected_client, plan_id=plan_id(connected_client, "Departments"),
                           tag_group_id=existing)


@pytest.mark.django_db
def test_the_database_refuses_a_tag_group_paired_twice(connected_client):
    from django.db import IntegrityError

    values = {"client": connected_client, "pleo_tag_group_id": "same", "pleo_tag_group_code": "X",
              "pleo_tag_group_name": "X"}
    TagGroupPair.objects.create(odoo_plan_id=1, odoo_plan_name="A", **values)
    with pytest.raises(IntegrityError):
        TagGroupPair.objects.create(odoo_plan_id=2, odoo_plan_name="B", **values)
