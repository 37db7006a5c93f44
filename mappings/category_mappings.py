"""Category mappings: one row per Pleo category, kept in step with Pleo, mapped in bulk or copied from a client."""
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.models import Client
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from integrations.services import model_update
from mappings.models import CategoryMapping
from mappings.selectors import odoo_purchase_taxes_for
from mappings.sync_runs import active_client_required

__all__ = ["category_mappings_refresh", "category_mapping_bulk_update", "CopyResult", "category_mappings_copy"]


def category_mappings_refresh(*, client: Client, by=None) -> int:
    """Read the client's Pleo chart of accounts and keep one mapping row per Pleo category.

    New categories get an empty mapping, renamed or renumbered ones are updated, ones archived or gone in
    Pleo are marked archived; no mapping is ever dropped (an expense still to export may use it).
    Pleo publishes no category endpoint (pleo-api README §9), so every bookkeeping account is offered.
    Returns how many rows were created or changed.
    """
    active_client_required(client)
    connection, pleo = pleo_company_client_get(client=client)
    accounts = pleo.chart_of_accounts(company_id=connection.company_id)
    now = timezone.now()
    changed = 0
    seen = set()
    for account in accounts:
        seen.add(str(account["id"]))
        values = {
            "pleo_account_code": (account.get("code") or "")[:255],
            "pleo_account_name": (account.get("name") or "")[:255],
            "pleo_external_id": (account.get("externalId") or "")[:255],
            "archived_in_pleo": bool(account.get("archived")),
        }
        with transaction.atomic():
            row = CategoryMapping.objects.select_for_update().filter(
                client=client, pleo_account_id=str(account["id"])
            ).first()
            if row is None:
                row = CategoryMapping(client=client, pleo_account_id=str(account["id"]), last_seen_at=now, **values)
                row._history_user = by
                row.full_clean()
                row.save()
                changed += 1
                continue
            row._history_user = by
            _, did_change = model_update(instance=row, fields=list(values), data=values)
            changed += did_change
            # last_seen_at alone is not a change worth a history row.
            CategoryMapping.objects.filter(pk=row.pk).update(last_seen_at=now)
    for row in CategoryMapping.objects.filter(client=client, archived_in_pleo=False).exclude(pleo_account_id__in=seen):
        row._history_user = by
        model_update(instance=row, fields=["archived_in_pleo"], data={"archived_in_pleo": True})
        changed += 1
    return changed


def _category_words(mapping: CategoryMapping) -> str:
    return f"{mapping.pleo_account_code} {mapping.pleo_account_name}".strip()


def category_mapping_bulk_update(*, client: Client, rows: list[dict], by=None) -> int:
    """Set the Odoo account and default tax of many categories at once; all or nothing.

    Each row: `id` (a CategoryMapping of this client) or `pleo_account_id`, then `odoo_account_id` and
    `default_tax_id` (None clears). Every account must be an active, non-deprecated account of the client's
    Odoo company and every tax an active purchase tax of it, read live. Raises ValidationError listing each
    refused row by its category. Returns how many mappings changed.
    """
    mappings = {m.pk: m for m in CategoryMapping.objects.filter(client=client)}
    by_pleo_id = {m.pleo_account_id: m for m in mappings.values()}
    errors: list[str] = []
    wanted: list[tuple[CategoryMapping, int | None, int | None]] = []
    for row in rows:
        mapping = (mappings.get(_int(row.get("id"))) if row.get("id") not in (None, "")
                   else by_pleo_id.get(str(row.get("pleo_account_id"))))
        if mapping is None:
            errors.append(f"{client} has no Pleo category {row.get('id') or row.get('pleo_account_id')}; "
                          "refresh the categories.")
            continue
        try:
            wanted.append((mapping, _int(row.get("odoo_account_id")), _int(row.get("default_tax_id"))))
        except (TypeError, ValueError):
            errors.append(f"{_category_words(mapping)}: the Odoo account and tax are chosen by their Odoo id.")
    if errors:
        raise ValidationError(errors)
    account_ids = sorted({a for _, a, _ in wanted if a is not None})
    tax_ids = sorted({t for _, _, t in wanted if t is not None})
    labels = {}
    if account_ids or tax_ids:
        connection, books = odoo_company_books_get(client=client)
        company = connection.company_name or f"company {connection.company_id}"
        accounts = books.accounts_read(account_ids)
        taxes = books.taxes_read(tax_ids)
        for mapping, account_id, tax_id in wanted:
            category = _category_words(mapping)
            if account_id is not None:
                account = accounts.get(account_id)
                if account is None or not account["in_company"]:
                    errors.append(f"{category}: Odoo {company} has no account with id {account_id}. "
                                  "Refresh the list and choose again.")
                elif account["retired"]:
                    errors.append(f"{category}: the Odoo account “{account['code']} {account['name']}” is "
                                  f"{account['retired']}. Choose an account in use.")
                else:
                    labels[("account", account_id)] = f"{account['code']} {account['name']}"
            if tax_id is not None:
                tax = taxes.get(tax_id)
                if tax is None or not tax["in_company"] or tax.get("active") is False:
                    errors.append(f"{category}: Odoo {company} has no active tax with id {tax_id}. "
                                  "Refresh the list and choose again.")
                elif tax["use"] != "purchase":
                    errors.append(f"{category}: the default tax must be a purchase tax; "
                                  f"“{tax['name']}” is a {tax['use']} tax.")
                else:
                    description = (tax.get("description") or "").strip()
                    labels[("tax", tax_id)] = (f"{tax['name']} {description}".strip()
                                               if description and description != tax["name"] else tax["name"])
    if errors:
        raise ValidationError(errors)
    changed = 0
    with transaction.atomic():
        for mapping, account_id, tax_id in wanted:
            mapping._history_user = by
            _, did_change = model_update(
                instance=mapping,
                fields=["odoo_account_id", "odoo_account_label", "default_tax_id", "default_tax_label"],
                data={
                    "odoo_account_id": account_id,
                    "odoo_account_label": labels.get(("account", account_id), ""),
                    "default_tax_id": tax_id,
                    "default_tax_label": labels.get(("tax", tax_id), ""),
                },
            )
            changed += did_change
    return changed


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None


@dataclass
class CopyResult:
    """What a template copy did: `matched` as "category → account", `unmatched` with the reason each was not."""

    copied: int = 0
    matched: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def category_mappings_copy(*, source: Client, target: Client, by=None) -> CopyResult:
    """Firm template: give `target`'s Pleo categories the accounts `source`'s categories have, matched by code.

    The target's categories are first read from its Pleo. A category matches by its Pleo account number;
    its Odoo account is the target company's active account with the same account code, and its default
    tax the target's purchase tax of the same name. Categories already mapped on the target are overwritten
    only where the source has a mapping. Written through category_mapping_bulk_update (validated, all or nothing).
    """
    if source.pk == target.pk:
        raise ValidationError("Choose another client to copy the mappings to.")
    category_mappings_refresh(client=target, by=by)
    sources = [
        m for m in CategoryMapping.objects.filter(client=source, archived_in_pleo=False).exclude(odoo_account_id=None)
    ]
    result = CopyResult()
    if not sources:
        result.unmatched.append(f"{source} has no mapped categories to copy.")
        return result
    _, source_books = odoo_company_books_get(client=source)
    source_accounts = source_books.accounts_read(m.odoo_account_id for m in sources)
    _, target_books = odoo_company_books_get(client=target)
    codes = {r["code"] for r in source_accounts.values()}
    target_accounts = {r["code"]: r["id"] for r in target_books.accounts(codes=codes)}
    target_taxes = {}
    for option in odoo_purchase_taxes_for(client=target, refresh=True):
        target_taxes.setdefault(option.label, option.id)
    targets = {}
    for mapping in CategoryMapping.objects.filter(client=target, archived_in_pleo=False).exclude(pleo_account_code=""):
        targets.setdefault(mapping.pleo_account_code, mapping)
    rows = []
    for mapping in sources:
        category = _category_words(mapping)
        target_mapping = targets.get(mapping.pleo_account_code) if mapping.pleo_account_code else None
        if target_mapping is None:
            result.unmatched.append(f"{category}: {target} has no Pleo category with account number "
                                    f"“{mapping.pleo_account_code}”.")
            continue
        code = source_accounts.get(mapping.odoo_account_id, {}).get("code")
        if code is None:
            result.unmatched.append(f"{category}: its Odoo account no longer exists in {source}'s Odoo.")
            continue
        account_id = target_accounts.get(code)
        if account_id is None:
            result.unmatched.append(f"{category}: {target}'s Odoo company has no active account with code {code}.")
            continue
        tax_id = target_taxes.get(mapping.default_tax_label) if mapping.default_tax_id else None
        note = ""
        if mapping.default_tax_id and tax_id is None:
            note = f" (no purchase tax “{mapping.default_tax_label}” in {target}'s Odoo: default tax left empty)"
        rows.append({"id": target_mapping.pk, "odoo_account_id": account_id, "default_tax_id": tax_id})
        result.matched.append(f"{category} → {code}{note}")
    if rows:
        result.copied = category_mapping_bulk_update(client=target, rows=rows, by=by)
    return result
