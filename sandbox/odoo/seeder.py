"""Turns the recorded set-up (sandbox.odoo.seed) into the records of a new emulated database, per Odoo version."""
import datetime

from sandbox.odoo import seed
from sandbox.odoo.engine.schema import groups_field
from sandbox.odoo.models import EmulatedRecord

__all__ = ["Seeder"]

_INACTIVE_PARTNERS = {"OdooBot", "Public user", "Default User Template", "Portal User Template"}


class Seeder:
    def __init__(self, database, version):
        self.database = database
        self.version = version
        self.data = seed.VERSION_DATA[version]
        self.records: dict[tuple[str, int], dict] = {}
        self.sequences: dict[str, int] = {}

    def add(self, model, record_id, values):
        self.records[(model, record_id)] = values
        self.sequences[model] = max(self.sequences.get(model, 1), record_id + 1)

    def partner_id(self, name) -> int:
        return self.data["partners"].index(name) + 1

    def rows(self, *, api_key_name: str, api_keys_created_at: datetime.datetime,
             api_keys_expire_at: datetime.datetime | None = None):
        self._base()
        self._chart()
        self._analytic()
        self._people()
        self._api_keys(api_key_name, api_keys_created_at, api_keys_expire_at)
        minimum = {
            "ir.attachment": self.data["attachment_next"], "mail.message": self.data["message_next"],
            "res.partner": len(self.data["partners"]) + 1, "res.users": max(seed.logins(self.version)) + 1,
            "ir.model.data": 30000, "account.move": 1, "account.move.line": 1, "account.full.reconcile": 1,
        }
        for model, next_id in minimum.items():
            self.sequences[model] = max(self.sequences.get(model, 1), next_id)
        self.database.sequences = self.sequences
        self.database.save(update_fields=["sequences"])
        parents = {"account.move.line": "move_id", "ir.attachment": "res_id", "mail.message": "res_id"}
        return [
            EmulatedRecord(
                database=self.database, model=model, record_id=rid, values=values,
                parent_id=values.get(parents[model]) if model in parents else None,
            )
            for (model, rid), values in self.records.items()
        ]

    def _base(self):
        eur, usd = self.data["currencies"]["EUR"], self.data["currencies"]["USD"]
        self.add("res.currency", eur, {"name": "EUR", "symbol": "\u20ac", "rounding": 0.01, "decimal_places": 2,
                                       "active": True, "rate": 1.0, "full_name": "Euro", "position": "after"})
        self.add("res.currency", usd, {"name": "USD", "symbol": "$", "rounding": 0.01, "decimal_places": 2,
                                       "active": True, "rate": 1.08, "full_name": "United States dollar",
                                       "position": "before"})
        self.add("res.country", 165, {"name": "Netherlands", "code": "NL"})
        for module, (module_id, latest) in self.data["modules"].items():
            app = module in ("account", "hr", "hr_expense")
            sequence = {"account": 10, "hr_expense": 80, "hr": 95}.get(module, 100)
            self.add("ir.module.module", module_id, {
                "name": module, "state": "installed" if latest else "uninstalled", "latest_version": latest,
                "shortdesc": module.replace("_", " ").title(), "application": app, "sequence": sequence,
            })
        data_ids = seed.GROUP_XMLID_DATA_IDS[self.version]
        next_data_id = 20000
        for group_id, xmlid, label in seed.GROUPS[self.version]:
            self.add("res.groups", group_id, {"name": label, "full_name": label, "category_id": None,
                                              "implied_ids": []})
            module, name = xmlid.split(".")
            data_id = data_ids.get(xmlid)
            if data_id is None:
                next_data_id += 1
                data_id = next_data_id
            self.add("ir.model.data", data_id, {"module": module, "name": name, "model": "res.groups",
                                                "res_id": group_id, "complete_name": xmlid, "noupdate": False})

    def _account_values(self, code, name, account_type, company_id, reconcile):
        values = {"code": code, "name": name, "account_type": account_type, "reconcile": reconcile,
                  "currency_id": None, "tax_ids": [], "note": None, "group_id": None}
        # 18 shares accounts between companies (company_ids); 19 archives them with `active`, not `deprecated`.
        values.update({"company_ids": [company_id]} if self.version >= 18 else {"company_id": company_id})
        values.update({"active": True} if self.version >= 19 else {"deprecated": False})
        return values

    def _company_values(self, name, sequence, partner_id, vat, codes):
        lock_dates = (("fiscalyear_lock_date", "tax_lock_date", "sale_lock_date", "purchase_lock_date",
                       "hard_lock_date") if self.version >= 18 else
                      ("fiscalyear_lock_date", "period_lock_date", "tax_lock_date"))
        return {
            "name": name, "sequence": sequence, "partner_id": partner_id, "currency_id": self.data["currencies"]["EUR"],
            "country_id": 165, "vat": vat, "email": None, **{field: None for field in lock_dates},
            "tax_calculation_rounding_method": self.data["rounding"],
            "account_journal_suspense_account_id": codes[self.data["suspense_code"]],
            "property_account_payable_id": codes["130000"], "property_account_receivable_id": codes["110000"],
            "parent_id": None, "active": True,
        }

    def _chart(self):
        chart = seed.chart(self.version)
        offset_accounts = len(chart["accounts"])
        codes = {1: {}, 2: {}}
        for company_id, offset in ((1, 0), (2, offset_accounts)):
            for account_id, code, name, account_type, reconcile in chart["accounts"]:
                self.add("account.account", account_id + offset,
                         self._account_values(code, name, account_type, company_id, reconcile))
                codes[company_id][code] = account_id + offset
        for company_id, name, partner, vat, sequence in (
            (1, "Client A BV", "Client A BV", "NL004495445B01", 10), (2, "Client B BV", "Client B BV", None, 5),
        ):
            values = self._company_values(name, sequence, self.partner_id(partner), vat, codes[company_id])
            values["account_purchase_tax_id"] = self.data["purchase_tax"] + (
                0 if company_id == 1 else self.data["tax_offset"])
            self.add("res.company", company_id, values)
        # 16-18 have seven journals per company, 19 six (no Cash journal: v19/16); company 2's follow company 1's.
        journal_offset = len(chart["journals"])
        for company_id, offset in ((1, 0), (2, journal_offset)):
            for index, (journal_id, name, code, journal_type, default_account) in enumerate(chart["journals"]):
                self.add("account.journal", journal_id + offset, {
                    "name": name, "code": code, "type": journal_type, "company_id": company_id,
                    "default_account_id": default_account + (offset_accounts if company_id == 2 else 0)
                    if default_account else None,
                    "suspense_account_id": None, "currency_id": None, "active": True, "sequence": index + 1,
                })
        for company_id in (1, 2):
            tax_offset = self.data["tax_offset"] if company_id == 2 else 0
            rep_offset = self.data["repartition_offset"] if company_id == 2 else 0
            for index, (tax_id, name, description, amount, included, group, reps) in enumerate(chart["taxes"]):
                self.add("account.tax.group", group[0], {"name": group[1], "sequence": group[0], "company_id": None})
                account_codes = seed.tax_accounts(self.version, name, description, amount, len(reps))
                rep_ids = [rep + rep_offset for rep in reps]
                tax = {
                    "name": name, "description": description, "amount": amount, "amount_type": "percent",
                    "price_include": included, "active": True, "company_id": company_id,
                    "tax_group_id": group[0], "type_tax_use": "purchase", "sequence": index + 1,
                    "include_base_amount": False, "tax_scope": None,
                    "invoice_repartition_line_ids": rep_ids, "refund_repartition_line_ids": [],
                }
                if self.version >= 18:  # price_include is computed from it (v18/87b)
                    tax["price_include_override"] = "tax_included" if included else None
                self.add("account.tax", tax_id + tax_offset, tax)
                self.add("account.tax.repartition.line", rep_ids[0], {
                    "factor_percent": 100.0, "repartition_type": "base", "account_id": None,
                    "invoice_tax_id": tax_id + tax_offset, "refund_tax_id": None, "company_id": company_id,
                    "sequence": 1,
                })
                for position, (rep_id, code) in enumerate(zip(rep_ids[1:], account_codes, strict=True)):
                    self.add("account.tax.repartition.line", rep_id, {
                        "factor_percent": 100.0 if position == 0 else -100.0, "repartition_type": "tax",
                        "account_id": codes[company_id][code], "invoice_tax_id": tax_id + tax_offset,
                        "refund_tax_id": None, "company_id": company_id, "sequence": position + 2,
                    })

    def _analytic(self):
        for plan_id, name in self.data["plans"]:
            values = {"name": name, "parent_id": None, "default_applicability": "optional", "sequence": 10,
                      "color": plan_id}
            if self.version == 16:
                values["company_id"] = 1
            self.add("account.analytic.plan", plan_id, values)
        for account_id, name, plan_id in self.data["analytic_accounts"]:
            self.add("account.analytic.account", account_id, {
                "name": name, "code": None, "plan_id": plan_id, "root_plan_id": plan_id, "company_id": 1,
                "active": True, "partner_id": None,
            })

    def _people(self):
        for index, name in enumerate(self.data["partners"], start=1):
            self.add("res.partner", index, {
                "name": name, "vat": "NL004495445B01" if index == 1 else None, "is_company": name.endswith(" BV"),
                "supplier_rank": 0, "customer_rank": 0, "email": None, "phone": None, "street": None,
                "city": None, "zip": None, "country_id": 165 if name.endswith(" BV") else None,
                "company_id": None, "parent_id": None, "active": name not in _INACTIVE_PARTNERS,
                "type": "private" if "private" in name else "contact", "ref": None, "comment": None,
                "company_registry": None,
            })
        groups = seed.GROUPS[self.version]
        left_out = seed.ADMIN_GROUPS_LEFT_OUT[self.version]
        all_groups = [group_id for group_id, xmlid, _ in groups
                      if xmlid not in {"base.group_portal", "base.group_public"}]
        admin_groups = [group_id for group_id, xmlid, _ in groups if xmlid not in left_out]
        pleo, norights = self.data["users"]["pleo"], self.data["users"]["norights"]
        users = [
            (1, "OdooBot", "__system__", self.partner_id("OdooBot"), False, all_groups, [1, 2]),
            (2, "Administrator", "admin", self.partner_id("Administrator"), True, admin_groups, [1, 2]),
            (pleo, "Pleo Integration", "pleo@example.com", self.partner_id("Pleo Integration"), True,
             seed.USER_GROUPS[self.version][pleo], [2, 1]),
            (norights, "Bookkeeper Without Accounting", "norights@example.com",
             self.partner_id("Bookkeeper Without Accounting"), True, seed.USER_GROUPS[self.version][norights], [1]),
        ]
        for uid, name, login, partner_id, active, user_groups, companies in users:
            self.add("res.users", uid, {
                "name": name, "login": login, "email": login if "@" in login else f"{login}@example.com",
                "active": active, "share": False, "company_id": 1, "company_ids": companies,
                groups_field(self.version): list(user_groups), "partner_id": partner_id,
            })
        employees = [
            (1, "Administrator", self.data["admin_email"], self.partner_id("Administrator"), 2, 3),
            (2, "Sanne de Vries", "sanne@example.com", self.data["sanne_contact"], None, self.data["sanne_home"]),
        ]
        for employee_id, name, email, contact, user_id, home in employees:
            values = {"name": name, "work_email": email, "work_contact_id": contact, "company_id": 1,
                      "active": True, "user_id": user_id, "job_title": None, "mobile_phone": None}
            if self.version == 16:
                values["address_home_id"] = home
            self.add("hr.employee", employee_id, values)

    def _api_keys(self, name, created_at, expire_at):
        # Odoo stores a key's hash with these fields; the keys themselves are EmulatedApiKey rows.
        for record_id, uid in enumerate(seed.logins(self.version), start=1):
            values = {"name": name, "user_id": uid, "scope": None,
                      "create_date": created_at.strftime("%Y-%m-%d %H:%M:%S")}
            if self.version >= 18:  # keys expire from 18 (v18/113)
                values["expiration_date"] = expire_at.strftime("%Y-%m-%d %H:%M:%S") if expire_at else None
            self.add("res.users.apikeys", record_id, values)
