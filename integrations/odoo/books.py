"""Odoo's accounting vocabulary, in one place: the client company's books as the portal reads and writes them.

`OdooBooks` is built for one connection (an `OdooClient` acting in the client's company) and its server's
version. Its methods speak in the accountant's terms (accounts of the company, journals, purchase taxes,
the purchase lock date, analytic plans, employees' contacts, partners, moves created / corrected / posted /
read back, payables reconciled, receipts attached, the user's rights and key expiry) and answer plain
dicts in one shape on every version; the version differences are the dialect's (integrations.odoo.dialects).
Nothing outside integrations/odoo names an Odoo model or field: the export plans a move as a draft in
accounting terms, and integrations.odoo.drafts writes Odoo's create values from it (the same on every version,
recordings 31-47 of v16 to v19).
"""
import base64
import html
import re
from datetime import date, datetime, timezone

from integrations.odoo.client import OdooClient, to_decimal
from integrations.odoo.dialects import Dialect, dialect_for
from integrations.odoo.drafts import jsonable
from integrations.odoo.taxes import PurchaseTax, purchase_tax_read

__all__ = [
    "OdooBooks",
    "MOVE_MODEL",
    "plain_text",
    "ACCOUNTANT_GROUPS",
    "SETTINGS_GROUP",
    "CONTACT_CREATION_GROUP",
    "ADVISER_GROUP",
]

ACCOUNTANT_GROUPS = ("account.group_account_user", "account.group_account_manager")
ADVISER_GROUP = "account.group_account_manager"
SETTINGS_GROUP = "base.group_system"
CONTACT_CREATION_GROUP = "base.group_partner_manager"

MOVE_MODEL = "account.move"  # what an export record names as its Odoo record's model
# Odoo's payment_state of a bill, in the words its list shows.
PAYMENT_STATE_WORDS = {"not_paid": "not paid", "partial": "partially paid", "in_payment": "in payment", "paid": "paid",
                       "reversed": "reversed", "invoicing_legacy": "paid before Odoo invoicing"}
MOVE_FIELDS = ["name", "state", "date", "ref", "move_type", "amount_total_signed", "payment_state"]
LINE_FIELDS = ["move_id", "account_id", "debit", "credit", "tax_line_id", "name", "amount_currency", "display_type"]
OPEN_LINE_FIELDS = ["move_id", "account_id", "partner_id", "display_type", "amount_residual",
                    "amount_residual_currency", "currency_id", "reconciled"]
TAX_FIELDS = ["name", "description", "amount", "amount_type", "price_include", "active",
              "invoice_repartition_line_ids", "company_id", "type_tax_use"]


class OdooBooks:
    def __init__(self, client: OdooClient, *, version: int | str, company_id: int | None):
        self.client = client
        self.dialect: Dialect = dialect_for(version)
        self.company_id = company_id
        # The version is known: the client need not find out how has_group is called by trying (08, 09).
        client.has_group_with_ids = self.dialect.has_group_on_user

    @property
    def session(self):
        return self.client.session

    # -- the company and its chart --------------------------------------------------------------------

    def company(self) -> dict:
        """{"currency": "EUR", "purchase_lock_date": date | None}: what a job needs of the company, read once."""
        fields = ["currency_id", *self.dialect.purchase_lock_dates]
        row = self.client.read("res.company", [self.company_id], fields)[0]
        locks = [date.fromisoformat(row[f]) for f in self.dialect.purchase_lock_dates if row.get(f)]
        return {"currency": row["currency_id"][1], "purchase_lock_date": max(locks) if locks else None}

    def currencies(self) -> dict[str, int]:
        """The active currencies by ISO code."""
        return {c["name"]: c["id"] for c in self.client.search_read("res.currency", [["active", "=", True]], ["name"])}

    def currency_names(self, ids) -> dict[int, str]:
        return self._names("res.currency", ids, lambda row: row["name"], ["name"])

    def accounts(self, *, codes=None, account_type: str | None = None, in_use_only: bool = True) -> list[dict]:
        """The company's accounts ({id, code, name, type}: Odoo's account type), ordered by code."""
        domain = self.dialect.account_company_domain(self.company_id)
        if in_use_only:
            domain += self.dialect.account_in_use_domain()
        if codes is not None:
            domain.append(["code", "in", sorted(codes)])
        if account_type:
            domain.append(["account_type", "=", account_type])
        rows = self.client.search_read("account.account", domain, ["code", "name", "account_type"], order="code")
        return [{"id": row["id"], "code": row["code"], "name": row["name"], "type": row["account_type"]}
                for row in rows]

    def accounts_count(self, *, account_type: str) -> int:
        domain = (self.dialect.account_company_domain(self.company_id) + self.dialect.account_in_use_domain()
                  + [["account_type", "=", account_type]])
        return self.client.search_count("account.account", domain)

    def accounts_read(self, ids) -> dict[int, dict]:
        """Accounts by id, archived ones too, each with `in_company` and `retired`: "" in use, else what Odoo
        calls it ("deprecated" until 18, "archived" in 19)."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        rows = self.client.execute_kw("account.account", "read", [ids],
                                      {"fields": ["code", "name", "account_type", *self.dialect.account_fields()],
                                       "context": {"active_test": False}})
        return {row["id"]: {"id": row["id"], "code": row["code"], "name": row["name"],
                            "type": row.get("account_type"),
                            "in_company": self.company_id in self.dialect.account_companies_of(row),
                            "retired": self.dialect.account_retired_word if self.dialect.account_retired(row) else ""}
                for row in rows}

    def account_create_values(self, *, name: str, code: str, account_type: str) -> dict:
        return {"name": name, "code": code, "account_type": account_type,
                **({"company_ids": [(6, 0, [self.company_id])]} if self.dialect.account_companies == "company_ids"
                   else {"company_id": self.company_id})}

    def journals(self, *, types=None, include_archived: bool = False) -> list[dict]:
        """The company's journals ({id, code, name, type}), ordered by code."""
        domain = [["company_id", "=", self.company_id]]
        if types:
            domain.append(["type", "in", list(types)])
        return list(self.client.search_read("account.journal", domain, ["code", "name", "type"], order="code",
                                            context={"active_test": False} if include_archived else None))

    def journals_read(self, ids) -> dict[int, dict]:
        """Journals by id, archived ones too, each with `in_company` and `active`."""
        rows = self._read("account.journal", ids, ["code", "name", "type", "company_id", "active"])
        return {row["id"]: {**row, "in_company": _many2one_id(row.get("company_id")) == self.company_id}
                for row in rows}

    def journal_create_values(self, *, name: str, code: str, journal_type: str) -> dict:
        return {"name": name, "code": code, "type": journal_type, "company_id": self.company_id}

    def chart_record_create(self, kind: str, values: dict) -> int:
        """Create an account or a journal from its create values; writes are never resent (the client's rule)."""
        created = self.client.create({"account": "account.account", "journal": "account.journal"}[kind], values)
        return int(created[0] if isinstance(created, list) else created)

    # -- taxes ---------------------------------------------------------------------------------------

    def purchase_taxes(self) -> list[PurchaseTax]:
        """The company's active purchase taxes, with the repartition that tells a reverse charge."""
        rows = list(self.client.search_read(
            "account.tax", [["type_tax_use", "=", "purchase"], ["company_id", "=", self.company_id]], TAX_FIELDS))
        for row in rows:
            row["description"] = plain_text(row.get("description"))
        line_ids = sorted({i for row in rows for i in row.get("invoice_repartition_line_ids") or []})
        lines = {row["id"]: row for row in self._read("account.tax.repartition.line", line_ids,
                                                       ["repartition_type", "factor_percent", "account_id"])}
        codes = {row["id"]: row["code"] for row in self._read(
            "account.account", sorted({_many2one_id(r.get("account_id")) for r in lines.values()} - {None}), ["code"])}
        return [purchase_tax_read(row, lines, codes) for row in rows]

    def taxes_read(self, ids) -> dict[int, dict]:
        """Taxes by id, archived ones too: name, description (text), amount, price_include, active, company.
        `price_include` reads right on every version, though from 18 it is computed (87b)."""
        rows = self._read("account.tax", ids, ["name", "description", "amount", "price_include", "active",
                                               "type_tax_use", "company_id"])
        return {row["id"]: {**row, "description": plain_text(row.get("description")), "use": row.get("type_tax_use"),
                            "in_company": _many2one_id(row.get("company_id")) == self.company_id} for row in rows}

    def tax_names(self, ids) -> dict[int, str]:
        return self._names("account.tax", ids, lambda row: row["name"], ["name"])

    # -- analytic accounting --------------------------------------------------------------------------

    def analytic_plans(self, ids=None) -> dict[int, str]:
        """Analytic plans by id (plans have no company from 17, recording 18)."""
        if ids is None:
            return {row["id"]: row["name"] for row in self.client.search_read("account.analytic.plan", [], ["name"])}
        return {row["id"]: row["name"] for row in self._read("account.analytic.plan", ids, ["name"])}

    def analytic_accounts(self, *, plan_id: int) -> list[dict]:
        """The plan's analytic accounts of this company or of all companies, archived ones too."""
        rows = self.client.search_read("account.analytic.account", [["root_plan_id", "=", plan_id]],
                                       ["name", "code", "active", "company_id"], context={"active_test": False})
        return [row for row in rows if _many2one_id(row.get("company_id")) in (None, self.company_id)]

    def analytic_account_ids(self) -> frozenset[int]:
        return frozenset(a["id"] for a in self.client.search_read("account.analytic.account", [], ["id"]))

    def analytic_names(self, ids) -> dict[int, str]:
        return self._names("account.analytic.account", ids, _code_name, ["code", "name"])

    def account_names(self, ids) -> dict[int, str]:
        return self._names("account.account", ids, _code_name, ["code", "name"])

    def journal_names(self, ids) -> dict[int, str]:
        return self._names("account.journal", ids, _code_name, ["code", "name"])

    # -- partners ------------------------------------------------------------------------------------

    def employee_contacts(self, names) -> dict[str, int]:
        """The contact of each named employee: their work contact on every version (recordings 21, 22; 16's private
        address needs Employees/Officer to read)."""
        found = {}
        for employee in self.client.search_read("hr.employee", [["name", "in", sorted(names)]],
                                                ["name", "work_contact_id"]):
            contact = _many2one_id(employee["work_contact_id"])
            if contact:
                found.setdefault(employee["name"], contact)
        return found

    def partners_by_vat(self, vats) -> dict[str, int]:
        found = {}
        for partner in self.client.search_read("res.partner", [["vat", "in", sorted(vats)]], ["vat"]):
            found.setdefault(partner["vat"], partner["id"])
        return found

    def partners_by_name(self, names) -> dict[str, int]:
        found = {}
        for partner in self.client.search_read("res.partner", [["name", "in", sorted(names)]], ["name"]):
            found.setdefault(partner["name"], partner["id"])
        return found

    def partners_create(self, partners: list[dict]) -> list[int]:
        """Create contacts from {name, vat, supplier}; one call, all or none (Odoo refuses the whole batch)."""
        values = [{"name": p["name"], "vat": p.get("vat") or False,
                   **({"supplier_rank": 1} if p.get("supplier") else {})}
                  for p in partners]
        created = self.client.create("res.partner", values)
        return created if isinstance(created, list) else [created]

    # -- moves ---------------------------------------------------------------------------------------

    def moves_by_reference(self, references, *, live_only: bool = False) -> list[dict]:
        """The moves whose `ref` is one of these, oldest first; `live_only` leaves cancelled ones out (117)."""
        domain = [["ref", "in", list(references)]]
        if live_only:
            domain.append(["state", "!=", "cancel"])
        return [_move(m) for m in self.client.search_read("account.move", domain, MOVE_FIELDS, order="id")]

    @staticmethod
    def move_url(base_url: str, move_id: int) -> str:
        """Where a person opens the move in Odoo's web client."""
        return f"{base_url.rstrip('/')}/web#id={move_id}&model={MOVE_MODEL}&view_type=form"

    def moves_read(self, ids) -> dict[int, dict]:
        return {m["id"]: _move(m) for m in self._read("account.move", ids, MOVE_FIELDS)}

    def moves_create(self, values: list[dict]) -> list[int]:
        """Create moves from their create values (Decimals in them go as JSON numbers, at this edge only)."""
        created = self.client.create("account.move", jsonable(values))
        return created if isinstance(created, list) else [created]

    def moves_lines_write(self, ids, commands: list) -> None:
        """Correct the lines of draft moves (each command names its own line)."""
        self.client.write("account.move", list(ids), {"line_ids": jsonable(commands)})

    def move_lines(self, move_ids) -> dict[int, list[dict]]:
        lines = {move_id: [] for move_id in move_ids}
        for line in self.client.search_read("account.move.line", [["move_id", "in", sorted(move_ids)]], LINE_FIELDS):
            lines.setdefault(line["move_id"][0], []).append(line)
        return lines

    def open_lines(self, move_ids, *, account_ids=None) -> dict[int, list[dict]]:
        """The moves' unreconciled lines, on the given accounts if any."""
        domain = [["move_id", "in", sorted(move_ids)], ["reconciled", "=", False]]
        if account_ids:
            domain.append(["account_id", "in", sorted(account_ids)])
        lines = {}
        for line in self.client.search_read("account.move.line", domain, OPEN_LINE_FIELDS):
            lines.setdefault(line["move_id"][0], []).append(line)
        return lines

    def moves_delete(self, ids) -> None:
        self.client.execute_kw("account.move", "unlink", [list(ids)])

    def moves_post(self, ids) -> None:
        self.client.execute_kw("account.move", "action_post", [list(ids)])

    def lines_reconcile(self, line_ids) -> None:
        self.client.execute_kw("account.move.line", "reconcile", [list(line_ids)])

    def posted_with_payment_reference(self, numbers) -> list[dict]:
        """Posted vendor bills and journal entries whose payment reference is one of `numbers`."""
        return list(self.client.search_read(
            "account.move", [["state", "=", "posted"], ["move_type", "in", ["in_invoice", "entry"]],
                             ["payment_reference", "in", sorted(numbers)]],
            ["name", "move_type", "partner_id", "payment_reference"], order="id"))

    # -- receipts ------------------------------------------------------------------------------------

    def attachments_of(self, move_ids) -> set[tuple[int, str]]:
        """(move id, file name) of the files attached to the moves."""
        return {(a["res_id"], a["name"]) for a in self.client.search_read(
            "ir.attachment", [["res_model", "=", "account.move"], ["res_id", "in", sorted(move_ids)]],
            ["res_id", "name"])}

    def attachments_create(self, files: list[tuple[int, str, bytes, str]]) -> None:
        """Attach files, each (move id, file name, content, content type), in one call."""
        self.client.create("ir.attachment", [
            {"name": name, "datas": base64.b64encode(content).decode(), "mimetype": content_type,
             "res_model": MOVE_MODEL, "res_id": move_id} for move_id, name, content, content_type in files])

    # -- the integration user ---------------------------------------------------------------------------

    def has_group(self, xmlid: str) -> bool:
        return self.client.has_group(xmlid)

    def user_companies(self) -> list[dict]:
        """The companies the user may work in, as [{id, name}] sorted by name."""
        user = self.client.read("res.users", [self._uid()], ["company_ids"])[0]
        companies = self.client.search_read("res.company", [["id", "in", user["company_ids"]]], ["name"])
        return sorted(({"id": c["id"], "name": c["name"]} for c in companies), key=lambda c: c["name"])

    def module_installed(self, name: str) -> bool:
        rows = list(self.client.search_read("ir.module.module", [["name", "=", name]], ["state"]))
        return bool(rows) and rows[0]["state"] == "installed"

    def key_expiry(self) -> datetime | None:
        """When the user's API key stops working (18+: its keys' expiration_date, 113), None if it never does.

        Odoo stores only a hash, so which key is the portal's cannot be read: the earliest expiry of the
        user's keys is when the connection may stop, which is what a bookkeeper has to plan for.
        """
        if not self.dialect.key_expiry:
            return None
        rows = self.client.search_read("res.users.apikeys", [["user_id", "=", self._uid()]],
                                       ["name", "expiration_date"])
        expiries = [row["expiration_date"] for row in rows if row["expiration_date"]]
        if not expiries:
            return None
        return min(datetime.fromisoformat(value).replace(tzinfo=timezone.utc) for value in expiries)

    def _uid(self) -> int:
        if self.client.uid is None:
            self.client.authenticate()
        return self.client.uid

    # -- plumbing ------------------------------------------------------------------------------------

    def _read(self, model: str, ids, fields: list[str]) -> list[dict]:
        ids = sorted(set(ids) - {None})
        return self.client.read(model, ids, fields) if ids else []

    def _names(self, model, ids, label, fields) -> dict[int, str]:
        return {row["id"]: label(row) for row in self._read(model, ids, fields)}


def plain_text(value) -> str:
    """Tax descriptions are HTML from 18 (`<p>...</p>`, recording 17): the text a person reads."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(value or ""))).split())


def _move(row: dict) -> dict:
    """A move as read, with its number ("" for a draft from 18, `name: false`: recordings 31, 41) and its
    `company_total`: `amount_total_signed` is in the company currency (negative on a bill), where a bill in
    the supplier's currency has its `amount_total` in that currency (v17/106)."""
    return {**row, "name": row.get("name") or "", "company_total": abs(to_decimal(row["amount_total_signed"])),
            "paid": row.get("payment_state") in ("paid", "in_payment"),
            "payment_words": PAYMENT_STATE_WORDS.get(row.get("payment_state"), str(row.get("payment_state")))}


def _many2one_id(value):
    return value[0] if isinstance(value, (list, tuple)) and value else None


def _code_name(row: dict) -> str:
    return f"{row['code']} {row['name']}" if row.get("code") else row["name"]

