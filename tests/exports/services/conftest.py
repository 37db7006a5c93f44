"""A client ready to export: booking settings, categories, taxes and tags mapped against the sandboxes."""
import pytest

from mappings.models import AnalyticTagMapping, CategoryMapping, TagGroupPair, TaxMapping
from mappings.services import booking_settings_update, category_mapping_bulk_update, category_mappings_refresh
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_user_groups_set
from sandbox.pleo.models import Tag, TaxCode
from tests.odoo_lookups import odoo_account

# The reverse-charge purchase tax of the Dutch chart ("21% R" in 17, "21% BTW verlegd" in 16).
REVERSE_CHARGE_TAX = {16: 23, 17: 18}
EXPENSE_CODES = ["400100", "400200", "401600", "401700", "402000", "409000"]


@pytest.fixture
def export_client(connected_client, fake_odoo, fake_pleo, odoo_admin):
    """Client A with every mapping the export needs; journal entries, posted, receipts on."""
    client = connected_client
    # The export creates supplier and employee contacts it cannot find (Extra Rights: Contact Creation).
    emulated_user_groups_set(database=fake_odoo.database, uid=6, add=["base.group_partner_manager"])
    booking_settings_update(client=client, data={
        "wallet_account_id": odoo_account(odoo_admin, "106001"),
        "out_of_pocket_account_id": odoo_account(odoo_admin, "149000"),
        "reimbursement_contra_account_id": odoo_account(odoo_admin, "135000"),
        "payables_account_id": odoo_account(odoo_admin, "130000"),
        "topup_bank_account_id": odoo_account(odoo_admin, "104000"),
        "card_journal_id": 3,
        "bill_journal_id": 2,
        "card_post_state": "posted",
        "out_of_pocket_post_state": "posted",
        "wallet_topups": "book",
    })
    category_mappings_refresh(client=client)
    expense_ids = [odoo_account(odoo_admin, code) for code in EXPENSE_CODES]
    category_mapping_bulk_update(client=client, rows=[
        {"id": mapping.pk, "odoo_account_id": expense_ids[index % len(expense_ids)], "default_tax_id": None}
        for index, mapping in enumerate(CategoryMapping.objects.filter(client=client).order_by("pleo_account_code"))
    ])
    # One Odoo tax per Pleo tax code (the tax sync's rule): each rate's VAT-excluded taxes in id order.
    unused = {rate: [t["id"] for t in odoo_admin.search_read("account.tax", [
        ("amount", "=", rate), ("type_tax_use", "=", "purchase"), ("price_include", "=", False),
        ("id", "!=", REVERSE_CHARGE_TAX[fake_odoo.version])], ["id"], order="id")] for rate in (21, 9)}
    for code in TaxCode.objects.filter(company=fake_pleo.company).order_by("code"):
        rate = int(code.rate * 100)
        if code.type == "reverse":
            tax_id, pleo_type = REVERSE_CHARGE_TAX[fake_odoo.version], "reverse"
        elif rate in unused:
            tax_id, pleo_type = unused[rate].pop(0), "inclusive"
        else:
            continue  # 0 %: left unmapped on purpose, its items fail with tax_code_unknown
        TaxMapping.objects.create(client=client, odoo_tax_id=tax_id, odoo_tax_name=f"tax {tax_id}",
                                  pleo_tax_code_id=str(code.uuid), pleo_tax_code=code.code or "",
                                  pleo_rate=code.rate, pleo_type=pleo_type)
    analytic = [r.record_id for r in EmulatedRecord.objects.filter(database=fake_odoo.database,
                                                                   model="account.analytic.account").order_by("record_id")]
    for index, group in enumerate(fake_pleo.company.tag_groups.order_by("code")):
        pair = TagGroupPair.objects.create(client=client, odoo_plan_id=index + 1, odoo_plan_name=group.name,
                                           pleo_tag_group_id=str(group.uuid), pleo_tag_group_code=group.code,
                                           pleo_tag_group_name=group.name)
        for position, tag in enumerate(Tag.objects.filter(group=group).order_by("code")):
            AnalyticTagMapping.objects.create(client=client, pair=pair,
                                              odoo_analytic_account_id=analytic[position % len(analytic)],
                                              odoo_analytic_account_name=tag.name or tag.code,
                                              pleo_tag_id=str(tag.uuid), pleo_tag_code=tag.code)
    return client
