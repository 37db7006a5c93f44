"""Tag-group pairs (an Odoo analytic plan with a Pleo tag group) and the tag sync that fills each group from its plan.

Safe to run again at any moment, and a failure half-way leaves the mappings matching Pleo (see mappings.sync_runs).
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.models import Client
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from integrations.services import model_update
from mappings.choices import SyncKind
from mappings.models import AnalyticTagMapping, SyncRun, TagGroupPair
from mappings.sync_runs import SyncCounts, mapping_store, sync_run

__all__ = ["tag_group_pair_add", "tag_group_pair_delete", "tag_sync", "analytic_tag_code"]


def tag_group_pair_add(
    *, client: Client, plan_id: int, tag_group_id: str | None = None, create_group: bool = False, by=None
) -> TagGroupPair:
    """Pair an Odoo analytic plan with an existing Pleo tag group, or with a new one made from the plan."""
    if bool(tag_group_id) == bool(create_group):
        raise ValidationError("Choose an existing Pleo tag group, or ask for a new one to be created (one of the two).")
    _pair_rules_check(client, plan_id, tag_group_id)
    _, books = odoo_company_books_get(client=client)
    plans = books.analytic_plans([int(plan_id)])
    if not plans:
        raise ValidationError(f"Odoo has no analytic plan with id {plan_id}. Refresh the list and choose again.")
    plan_name = plans[int(plan_id)]
    pleo_connection, pleo = pleo_company_client_get(client=client)
    groups = pleo.tag_groups(company_id=pleo_connection.company_id, include_archived=True)
    if tag_group_id:
        group = next((g for g in groups if g["id"] == tag_group_id and not g.get("archived")), None)
        if group is None:
            raise ValidationError("That Pleo tag group does not exist or is archived. "
                                  "Refresh the list and choose again.")
    else:
        code = f"odoo-plan-{int(plan_id)}"
        # A group made for this plan before (an earlier attempt whose answer was lost) is used again.
        group = next((g for g in groups if g.get("code") == code), None)
        if group is not None and group.get("archived"):
            group = pleo.tag_group_update(group["id"], code=code, name=plan_name, archived=False,
                                          metadata=group.get("metadata") or {})
        elif group is None:
            group = pleo.tag_group_create(company_id=pleo_connection.company_id, code=code, name=plan_name,
                                          metadata={"odooPlanId": str(int(plan_id))})
        _pair_rules_check(client, plan_id, group["id"])
    with transaction.atomic():
        # One pair at a time per client, so two bookkeepers cannot both add the fifth.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        _pair_rules_check(client, plan_id, group["id"])
        pair = TagGroupPair(
            client=client, odoo_plan_id=int(plan_id), odoo_plan_name=plan_name[:300],
            pleo_tag_group_id=str(group["id"]), pleo_tag_group_code=group["code"], pleo_tag_group_name=group["name"],
        )
        pair._history_user = by
        pair.full_clean()
        pair.save()
    return pair


def _pair_rules_check(client: Client, plan_id, tag_group_id) -> None:
    pairs = TagGroupPair.objects.filter(client=client)
    if pairs.count() >= TagGroupPair.MAX_PER_CLIENT:
        raise ValidationError(
            f"{client} already pairs {TagGroupPair.MAX_PER_CLIENT} analytic plans with Pleo tag groups, the most "
            "there can be (Pleo puts at most five tags on an expense). Remove a pair first."
        )
    same_plan = pairs.filter(odoo_plan_id=int(plan_id)).first()
    if same_plan is not None:
        raise ValidationError(
            f"The Odoo analytic plan “{same_plan.odoo_plan_name}” is already paired with the Pleo tag group "
            f"“{same_plan.pleo_tag_group_name}”."
        )
    if tag_group_id:
        same_group = pairs.filter(pleo_tag_group_id=str(tag_group_id)).first()
        if same_group is not None:
            raise ValidationError(
                f"The Pleo tag group “{same_group.pleo_tag_group_name}” is already paired with the Odoo analytic "
                f"plan “{same_group.odoo_plan_name}”; a tag group takes the tags of one plan only."
            )


@transaction.atomic
def tag_group_pair_delete(*, pair: TagGroupPair, by=None) -> None:
    """Unpair: the tags stay in Pleo (expenses may carry them); the portal stops syncing them."""
    pair._history_user = by
    pair.delete()


def tag_sync(*, client: Client, by=None, triggered_by: str = "") -> SyncRun:
    """Push each paired plan's analytic accounts to its Pleo tag group: create, rename, archive, never twice."""
    return sync_run(client, SyncKind.TAGS, by, triggered_by, lambda counts: _tag_sync(client, by, counts))


def analytic_tag_code(account: dict, duplicate_codes: set[str]) -> str:
    """The tag's code: the analytic account's own code when it has a unique one, else "odoo-<id>"."""
    code = (account.get("code") or "").strip()
    if code and code not in duplicate_codes:
        return code[:255]
    return f"odoo-{account['id']}"


def _tag_sync(client: Client, by, counts: SyncCounts) -> None:
    _, books = odoo_company_books_get(client=client)
    pleo_connection, pleo = pleo_company_client_get(client=client)
    pairs = list(TagGroupPair.objects.filter(client=client))
    if not pairs:
        counts.notes.append("No analytic plan is paired with a Pleo tag group yet: nothing to sync.")
        return
    plans = books.analytic_plans([p.odoo_plan_id for p in pairs])
    for pair in pairs:
        if pair.odoo_plan_id not in plans:
            counts.skipped += 1
            counts.notes.append(f"{pair}: the Odoo analytic plan no longer exists; remove this pair.")
            continue
        if plans[pair.odoo_plan_id] != pair.odoo_plan_name:
            pair._history_user = by
            model_update(instance=pair, fields=["odoo_plan_name"],
                         data={"odoo_plan_name": plans[pair.odoo_plan_id][:300]})
        _tag_sync_pair(client, pair, books, pleo, by, counts)


def _tag_sync_pair(client, pair, books, pleo, by, counts: SyncCounts) -> None:
    accounts = books.analytic_accounts(plan_id=pair.odoo_plan_id)  # this company's and those of all companies
    codes = [(a.get("code") or "").strip() for a in accounts]
    duplicates = {c for c in codes if c and codes.count(c) > 1}
    tags = pleo.tags(pair.pleo_tag_group_id, include_archived=True)
    by_id = {t["id"]: t for t in tags}
    by_code = {t["code"]: t for t in tags}
    mappings = {m.odoo_analytic_account_id: m for m in AnalyticTagMapping.objects.filter(pair=pair)}
    seen = set()
    for account in accounts:
        seen.add(account["id"])
        code, name, archived = analytic_tag_code(account, duplicates), account["name"], not account.get("active", True)
        mapping = mappings.get(account["id"])
        current = by_id.get(mapping.pleo_tag_id) if mapping else None
        current = current or by_code.get(code)
        if current is None:
            if archived:
                continue  # never in Pleo, and not wanted there
            current = pleo.tag_create(pair.pleo_tag_group_id, code=code, name=name)
            counts.created += 1
            pushed = True
        elif current.get("code") != code or current.get("name") != name or bool(current.get("archived")) != archived:
            was_archived = bool(current.get("archived"))
            current = pleo.tag_update(current["id"], code=code, name=name, archived=archived)
            if archived and not was_archived:
                counts.archived += 1
            else:
                counts.updated += 1
            pushed = True
        else:
            pushed = False
        values = {
            "client": client,
            "odoo_analytic_account_name": name[:300],
            "odoo_analytic_account_code": (account.get("code") or "")[:100],
            "pleo_tag_id": str(current["id"]),
            "pleo_tag_code": code,
            "archived": archived,
        }
        if pushed:
            values["last_synced_at"] = timezone.now()
        mapping_store(AnalyticTagMapping, {"pair": pair, "odoo_analytic_account_id": account["id"]}, values, by)
    for account_id, mapping in mappings.items():
        if account_id in seen or mapping.archived:
            continue
        # Deleted in Odoo, or moved out of this plan or company: archive its tag, keep the mapping for old exports.
        current = by_id.get(mapping.pleo_tag_id)
        if current is not None and not current.get("archived"):
            pleo.tag_update(current["id"], code=current["code"],
                            name=current.get("name") or mapping.odoo_analytic_account_name, archived=True)
            counts.archived += 1
        mapping_store(AnalyticTagMapping, {"pair": pair, "odoo_analytic_account_id": account_id},
                       {"archived": True, "last_synced_at": timezone.now()}, by)
