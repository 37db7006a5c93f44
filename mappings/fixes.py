"""Where a failed export is fixed: the screen and row of the mapping or setting its failure proved missing.

An export record's failure carries a detail naming what to fix ({"fix": "tax_code", "code_id": ..., "code": "I0"});
failure_fix turns it into a link the record pages show, to a screen that lets the user make the fix.
"""
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from mappings.models import (
    ODOO_ACCOUNT_FIELDS,
    ODOO_JOURNAL_FIELDS,
    AnalyticTagMapping,
    BookingSettings,
    CategoryMapping,
    PleoTaxCode,
    TaxMapping,
)

__all__ = ["failure_fix"]


def failure_fix(*, client_id: int, detail: dict) -> tuple[str, str] | None:
    """(label, admin URL) of where the failure `detail` describes is fixed, or None for a detail it does not know."""
    fix = _FIXES.get((detail or {}).get("fix"))
    return fix(client_id, detail) if fix is not None else None


def _tax_code(client_id: int, detail: dict) -> tuple[str, str]:
    code_id = str(detail.get("code_id") or "")
    code = detail.get("code") or code_id
    row = PleoTaxCode.objects.filter(client_id=client_id, pleo_tax_code_id=code_id).first() if code_id else None
    if row is not None:
        return f"Map tax code {code}", reverse("admin:mappings_pleotaxcode_change", args=[row.pk])
    mapping = TaxMapping.objects.filter(client_id=client_id, pleo_tax_code_id=code_id).first() if code_id else None
    if mapping is not None:
        # A code the tax sync made and has archived: its Odoo tax is gone or Pleo cannot express it; the row says why.
        return (f"See why tax code {code} ({mapping.odoo_tax_name}) is archived",
                reverse("admin:mappings_taxmapping_change", args=[mapping.pk]))
    # Not read from Pleo yet (the tax sync reads the codes hourly): the page reads them now and opens its row.
    query = {"client": client_id, **({"code_id": code_id, "code": code} if code_id else {})}
    return f"Map tax code {code}", f"{reverse('admin:mappings_pleotaxcode_read')}?{urlencode(query)}"


def _category(client_id: int, detail: dict) -> tuple[str, str]:
    account_id = str(detail.get("account_id") or "")
    rows = CategoryMapping.objects.filter(client_id=client_id, pleo_account_id=account_id)
    row = rows.first() if account_id else None
    name = detail.get("name") or (row.pleo_account_name if row else "") or account_id
    url = reverse("admin:mappings_categorymapping_map", args=[client_id])
    # No row yet: the page's "Refresh categories from Pleo" reads the new category in.
    return f"Map category {name}", url + (f"#category-{row.pk}" if row is not None else "")


def _tag(client_id: int, detail: dict) -> tuple[str, str]:
    tag_id = str(detail.get("tag_id") or "")
    row = (AnalyticTagMapping.objects.filter(client_id=client_id, pleo_tag_id=tag_id).select_related("pair").first()
           if tag_id else None)
    name = detail.get("name") or (row.odoo_analytic_account_name if row else "") or tag_id
    if row is not None:
        # Synced once but archived, or its analytic account gone: the pair's page shows its tags and syncs them.
        return (f"Check tag {name} in the tag group {row.pair.pleo_tag_group_name}",
                reverse("admin:mappings_taggrouppair_change", args=[row.pair.pk]) + "#tag_mappings-group")
    # Its tag group is not paired with an analytic plan, or the tag sync has not run since: both are done there.
    return (f"Pair the tag group of {name} with an Odoo analytic plan, or sync the tags",
            reverse("admin:mappings_taggrouppair_changelist") + f"?client__id__exact={client_id}")


def _setting(client_id: int, detail: dict) -> tuple[str, str]:
    name = str(detail.get("setting") or "")
    if name in ODOO_ACCOUNT_FIELDS or name in ODOO_JOURNAL_FIELDS:
        name = f"{name}_id"  # the form's field holds the Odoo id
    settings = BookingSettings.objects.filter(client_id=client_id).first()
    url = (reverse("admin:mappings_bookingsettings_change", args=[settings.pk]) if settings is not None
           else reverse("admin:mappings_bookingsettings_add") + f"?client={client_id}")
    try:
        field = BookingSettings._meta.get_field(name)
    except FieldDoesNotExist:
        return "Check the booking settings", url
    what = str(field.verbose_name)
    if name.endswith("_id"):
        return f"Choose the {what} in booking settings", f"{url}#id_{name}"
    if name == "kind_modes":
        return "Choose the booking per expense type in booking settings", url  # one field per type, folded away
    return f"Set “{what[:1].upper()}{what[1:]}” in booking settings", f"{url}#id_{name}"


_FIXES = {"tax_code": _tax_code, "category": _category, "tag": _tag, "setting": _setting}
