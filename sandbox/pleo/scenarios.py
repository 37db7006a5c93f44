"""Generated export items: realistic v3 payloads of every type in §6.3, deterministic per seed.

Amount arithmetic (the contract's reading of §13 Q1, in Decimal, rounded half-up to the cent):
* inclusive: lineAmount = netAmount = amount paid; tax.amount = amount * rate / (1 + rate), per line.
* reverse:   lineAmount = netAmount = amount paid; tax.amount = amount * rate (VAT due on top, not paid).
* exclusive: lineAmount = amount paid; tax.amount as inclusive; netAmount = lineAmount - tax.amount.
The lines of an entry add up to its amount, in the supplier and in the wallet currency: wallet amounts
are converted per line and the last line takes the rounding remainder. MoneyModel.value is cents.
All amounts are positive; the direction follows from `type` (§13 Q2).
"""
import random
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from sandbox.pleo.models import BookkeepingAccount, Company, Employee, ExportItem, File, Tag, TaxCode, Team

__all__ = [
    "ITEM_KINDS",
    "KIND_TYPES",
    "export_items_generate",
    "money_cents",
    "line_tax",
]

# Scenario kind -> export item type. A cycle over this list covers every type in §6.3.
KIND_TYPES = {
    "card_purchase": "card_purchase",
    "card_purchase_foreign": "card_purchase",
    "card_purchase_split": "card_purchase",
    "card_purchase_reverse_charge": "card_purchase",
    "out_of_pocket": "out_of_pocket",
    "direct_reimbursement": "direct_reimbursement",
    "external_reimbursement": "external_reimbursement",
    "wallet_topup": "wallet_topup",
    "wallet_unload": "wallet_unload",
    "refund": "refund",
    "chargeback": "chargeback",
    "fee": "fee",
    "mileage": "mileage",
    "per_diem": "per_diem",
    "card_invoice": "card_invoice",
    "invoice": "invoice",
    "invoice_payment": "invoice_payment",
    "cashback": "cashback",
    "atm_withdrawal": "atm_withdrawal",
    "personal_spend": "personal_spend",
}
# The default order puts what a later kind settles (out-of-pocket, invoice) before it.
ITEM_KINDS = [
    "card_purchase", "card_purchase_foreign", "out_of_pocket", "direct_reimbursement", "card_purchase_split",
    "wallet_topup", "refund", "out_of_pocket", "external_reimbursement", "card_purchase_reverse_charge",
    "fee", "mileage", "per_diem", "card_invoice", "invoice", "invoice_payment", "chargeback", "cashback",
    "atm_withdrawal", "personal_spend", "wallet_unload",
]
CENT = Decimal("0.01")
# Units of currency X per EUR's worth, i.e. value of one unit in EUR; only ratios matter.
EUR_VALUE = {
    "EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.17"), "DKK": Decimal("0.134"),
    "SEK": Decimal("0.088"), "NOK": Decimal("0.086"), "CHF": Decimal("1.04"),
}
DOMESTIC_SUPPLIERS = [
    # name, merchant category code, tax identifier (None when the receipt shows none)
    ("Office Centre", "5943", "{country}859123455B01"),
    ("Bolt Taxi", "4121", None),
    ("Hotel Central", "7011", "{country}812345678B01"),
    ("Restaurant De Kas", "5812", "{country}805512342B01"),
    ("Coolblue", "5732", "{country}810433941B01"),
    ("Shell Station", "5541", None),
]
# The categories of a domestic card purchase, each with its suppliers and what is bought there.
CATEGORY_PURCHASES = {
    "office": {"Office Centre": "Printer paper and toner", "Coolblue": "Headset for the office"},
    "transport": {"Bolt Taxi": "Taxi to customer meeting"},
    "hotel": {"Hotel Central": "Hotel night, conference"},
    "meals": {"Restaurant De Kas": "Team lunch with customer"},
}
FOREIGN_SUPPLIERS = {
    "USD": [("GITHUB.COM", "5734", "US", "US-EIN 26-3153456"), ("AMAZON WEB SERVICES", "4816", "US", None),
            ("ZOOM.US", "4899", "US", "US-EIN 61-1648780")],
    "GBP": [("TRAINLINE.COM", "4112", "GB", "GB736133218"), ("THE SAVOY LONDON", "7011", "GB", "GB232118441")],
}
VENDORS = [
    ("Acme Consulting B.V.", "V0012", "NL", "12345678", "NL123456782B01", "57"),
    ("Nordic Legal ApS", "V0031", "DK", "DK34567812", "DK34567812", "61"),
    ("Cloudhost Ltd", "V0044", "GB", "09876543", "GB987654321", "64"),
]


def money_cents(amount: Decimal) -> int:
    """MoneyModel.value: the amount in cents (amount * 100), rounded half-up."""
    return int((amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_tax(amount: Decimal, rate: Decimal, tax_type: str) -> tuple[Decimal, Decimal]:
    """(tax amount, net amount) of a line paid `amount`, per the module docstring."""
    if tax_type == "reverse":
        return _q(amount * rate), amount
    tax = _q(amount * rate / (1 + rate))
    return tax, (amount - tax if tax_type == "exclusive" else amount)


@dataclass
class _Context:
    company: Company
    wallet: str
    rng: random.Random
    seed: int
    start_index: int
    accounts: dict
    taxes: dict
    tags: list
    employees: list
    teams: list
    start_date: date
    with_receipts: bool
    settle_queue: dict = field(default_factory=lambda: {"out_of_pocket": [], "invoice": []})
    index: int = 0

    def uuid(self, role: str) -> uuid.UUID:
        return uuid.uuid5(self.company.uuid, f"item:{self.seed}:{self.start_index + self.index}:{role}")


def _pair(supplier_amount: Decimal, supplier_currency: str, wallet_amount: Decimal, wallet_currency: str) -> dict:
    return {
        "inSupplierCurrency": {"currency": supplier_currency, "value": money_cents(supplier_amount)},
        "inWalletCurrency": {"currency": wallet_currency, "value": money_cents(wallet_amount)},
    }


def _fx(supplier_currency: str, wallet_currency: str) -> Decimal:
    if supplier_currency == wallet_currency:
        return Decimal("1")
    return (EUR_VALUE[supplier_currency] / EUR_VALUE[wallet_currency]).quantize(Decimal("0.000001"))


def _account(acc: BookkeepingAccount | None) -> dict | None:
    if acc is None:
        return None
    return {"id": str(acc.uuid), "name": acc.name, "code": acc.code, "identifier": acc.external_id}


def _lines(ctx: _Context, parts: list[tuple], currency: str) -> tuple[list[dict], dict]:
    """parts: (supplier amount, account, tax code or None, tags). Returns lines and the entry amount."""
    fx = _fx(currency, ctx.wallet)
    total = sum((p[0] for p in parts), Decimal("0"))
    wallet_total = _q(total * fx)
    wallet_parts = [_q(p[0] * fx) for p in parts[:-1]]
    wallet_parts.append(wallet_total - sum(wallet_parts, Decimal("0")))
    lines = []
    for n, ((amount, account, tax_code, tags), wallet_amount) in enumerate(zip(parts, wallet_parts, strict=True)):
        line = {
            "accountingEntryLineId": str(ctx.uuid(f"line:{n}")),
            "account": _account(account),
            "lineAmount": _pair(amount, currency, wallet_amount, ctx.wallet),
            "netAmount": _pair(amount, currency, wallet_amount, ctx.wallet),
            "tax": None,
            "tags": [{"code": t.code, "groupCode": t.group.code, "id": str(t.uuid)} for t in tags] or None,
        }
        if tax_code is not None:
            tax_s, net_s = line_tax(amount, tax_code.rate, tax_code.type)
            tax_w, net_w = line_tax(wallet_amount, tax_code.rate, tax_code.type)
            line["netAmount"] = _pair(net_s, currency, net_w, ctx.wallet)
            line["tax"] = {
                "amount": _pair(tax_s, currency, tax_w, ctx.wallet),
                "code": tax_code.code,
                "id": str(tax_code.uuid),
                "rate": float(tax_code.rate),
                "type": tax_code.type,
            }
            if tax_code.ingoing_tax_account:
                line["tax"]["ingoingTaxAccount"] = tax_code.ingoing_tax_account
            if tax_code.outgoing_tax_account:
                line["tax"]["outgoingTaxAccount"] = tax_code.outgoing_tax_account
        lines.append(line)
    return lines, _pair(total, currency, wallet_total, ctx.wallet)


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _supplier(ctx: _Context, *, foreign: str | None = None, category: str = "") -> dict:
    """A supplier drawn at random; with a `category`, a domestic one of that category's purchases, picked by the
    draw so a seed gives the same amounts and dates whatever it is."""
    if foreign:
        name, mcc, country, tax_id = ctx.rng.choice(FOREIGN_SUPPLIERS[foreign])
    else:
        name, mcc, tax_id = drawn = ctx.rng.choice(DOMESTIC_SUPPLIERS)
        if category:
            fitting = [supplier for supplier in DOMESTIC_SUPPLIERS if supplier[0] in CATEGORY_PURCHASES[category]]
            name, mcc, tax_id = fitting[DOMESTIC_SUPPLIERS.index(drawn) % len(fitting)]
        country = ctx.company.country
        tax_id = tax_id.format(country=country) if tax_id else None
    return {"name": name, "categoryCode": mcc, "country": country, "code": None, "account": None,
            "taxIdentifier": tax_id}


def _vendor(ctx: _Context) -> dict:
    name, code, country, registration, tax_registration, external_id = ctx.rng.choice(VENDORS)
    return {
        "id": str(uuid.uuid5(ctx.company.uuid, f"vendor:{code}")), "name": name, "code": code,
        "externalId": external_id, "country": country, "defaultCurrency": ctx.wallet,
        "registrationNumber": registration, "taxRegistrationNumber": tax_registration,
    }


def _person(ctx: _Context, employee: Employee | None = None) -> dict:
    employee = employee or ctx.rng.choice(ctx.employees)
    return {"id": str(employee.uuid), "name": employee.name, "code": employee.code}


def _team(ctx: _Context) -> dict:
    team = ctx.rng.choice(ctx.teams)
    return {"id": str(team.uuid), "name": team.name, "code": team.code}


def _tags(ctx: _Context) -> list:
    by_group: dict = {}
    for tag in ctx.tags:
        by_group.setdefault(tag.group.code, []).append(tag)
    return [ctx.rng.choice(tags) for tags in by_group.values() if ctx.rng.random() < 0.8]


def _base(ctx: _Context, item_type: str, *, days: int, amount: dict, lines: list, method: str | None) -> dict:
    entry_id = ctx.uuid("entry")
    day = ctx.start_date + timedelta(days=days)
    return {
        "_links": {"web": {"exportItem": f"https://app.pleo.io/export/{entry_id}"}},
        "accountingEntryId": str(entry_id),
        "companyId": str(ctx.company.uuid),
        "type": item_type,
        "date": f"{day.isoformat()}T00:00:00Z",
        "amount": amount,
        "accountingEntryLines": lines,
        "additionalInformation": {
            "reconciliationId": str(1_000_000 + ctx.start_index + ctx.index),
            "attendees": None, "invoiceInformation": None, "reconciledEntries": None,
        },
        "bookkeeping": {"method": method} if method else None,
        "contraAccount": None,
        "files": None,
        "note": None,
        "supplier": None,
        "team": None,
        "user": None,
        "vendor": None,
        "servicePeriod": None,
    }


def _wallet_contra(ctx: _Context) -> dict:
    return _account(ctx.accounts["wallet"])


def _receipt(ctx: _Context, kind: str, payload: dict) -> list[tuple[str, str, bytes]]:
    if not ctx.with_receipts:
        return []
    title = f"{(payload.get('supplier') or {}).get('name') or kind} {payload['date'][:10]}"
    total = payload["amount"]["inSupplierCurrency"]
    if ctx.rng.random() < 0.6:
        return [("receipt.pdf", "application/pdf", _pdf(title, f"{total['value'] / 100:.2f} {total['currency']}"))]
    return [("receipt.png", "image/png", _png(ctx.rng))]


def _pdf(title: str, amount: str) -> bytes:
    text = f"BT /F1 14 Tf 50 760 Td (Receipt: {title}) Tj 0 -24 Td (Total: {amount}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _png(rng: random.Random, size: int = 16) -> bytes:
    color = bytes(rng.randrange(256) for _ in range(3))
    raw = b"".join(b"\x00" + color * size for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# ------------------------------------------------------------------------------------------ the kinds


def _card_purchase(ctx: _Context, *, foreign: str | None = None, split: bool = False, reverse: bool = False):
    rng = ctx.rng
    currency = foreign or ctx.wallet
    if reverse:
        parts_accounts = [(ctx.accounts["software"], ctx.taxes["reverse"])]
    else:
        key = rng.choice(list(CATEGORY_PURCHASES))
        tax_key = ctx.accounts[key].tax_code_external_id
        tax = next((t for t in ctx.taxes.values() if t.code == tax_key), ctx.taxes["standard"])
        parts_accounts = [(ctx.accounts[key], tax)]
    if split:
        parts_accounts = [(ctx.accounts["meals"], ctx.taxes["standard"]),
                          (ctx.accounts["hotel"], ctx.taxes.get("reduced", ctx.taxes["standard"])),
                          (ctx.accounts["transport"], ctx.taxes["zero"])]
    parts = [(_amount(rng, 5, 400), acc, tax, _tags(ctx)) for acc, tax in parts_accounts]
    lines, amount = _lines(ctx, parts, currency)
    method = "accounts_payable" if reverse else "journal"
    payload = _base(ctx, "card_purchase", days=rng.randint(0, 27), amount=amount, lines=lines, method=method)
    # A domestic purchase in one category reads like it: its supplier and, where a note is drawn, that supplier's.
    category = "" if reverse or foreign or split else key
    supplier = _supplier(ctx, foreign=foreign if foreign or reverse else None, category=category)
    payload.update(contraAccount=_wallet_contra(ctx), supplier=supplier, user=_person(ctx), team=_team(ctx))
    note = rng.choice(["Printer paper and toner", "Team lunch with customer", "Hotel night, conference",
                       "Taxi to customer meeting", None])
    payload["note"] = CATEGORY_PURCHASES[category][supplier["name"]] if category and note else note
    if reverse:
        day = datetime.fromisoformat(payload["date"][:10])
        payload["vendor"] = _vendor(ctx) | {"defaultCurrency": currency}
        payload["servicePeriod"] = {"from": f"{day.date().replace(day=1).isoformat()}T00:00:00Z",
                                    "to": f"{(day.date().replace(day=1) + timedelta(days=30)).isoformat()}T00:00:00Z"}
    if payload["note"] == "Team lunch with customer":
        payload["additionalInformation"]["attendees"] = ["Anna Kjær (customer)", payload["user"]["name"]]
    return payload


def _out_of_pocket(ctx: _Context):
    rng = ctx.rng
    tax = ctx.taxes["standard"]
    lines, amount = _lines(ctx, [(_amount(rng, 8, 150), ctx.accounts["transport"], tax, _tags(ctx))], ctx.wallet)
    payload = _base(ctx, "out_of_pocket", days=rng.randint(0, 20), amount=amount, lines=lines, method="journal")
    payload.update(supplier=_supplier(ctx), user=_person(ctx), team=_team(ctx), note="Paid privately")
    return payload


def _reimbursement(ctx: _Context, item_type: str, settled: list[dict]):
    """Settles out-of-pocket entries: the amount is their wallet total; reconciledEntries names them."""
    total = sum((Decimal(p["amount"]["inWalletCurrency"]["value"]) / 100 for p in settled), Decimal("0"))
    lines, amount = _lines(ctx, [(total, None, None, [])], ctx.wallet)
    payload = _base(ctx, item_type, days=25, amount=amount, lines=lines, method="journal")
    payload["additionalInformation"]["reconciledEntries"] = [
        p["additionalInformation"]["reconciliationId"] for p in settled
    ]
    payload["user"] = settled[0]["user"]
    if item_type == "direct_reimbursement":
        payload["subType"] = "reimbursement_to_employee"
        payload["contraAccount"] = _wallet_contra(ctx)
    else:
        payload["note"] = "Reimbursed through payroll"
    return payload


def _wallet_move(ctx: _Context, item_type: str):
    lines, amount = _lines(ctx, [(Decimal(ctx.rng.randint(10, 100) * 1000), None, None, [])], ctx.wallet)
    payload = _base(ctx, item_type, days=ctx.rng.randint(0, 5), amount=amount, lines=lines, method="none")
    payload["contraAccount"] = _wallet_contra(ctx)
    return payload


def _refund_like(ctx: _Context, item_type: str):
    rng = ctx.rng
    tax = ctx.taxes.get("reduced", ctx.taxes["standard"]) if item_type == "refund" else None
    lines, amount = _lines(ctx, [(_amount(rng, 20, 300), ctx.accounts["hotel"], tax, _tags(ctx))], ctx.wallet)
    payload = _base(ctx, item_type, days=rng.randint(5, 27), amount=amount, lines=lines, method="journal")
    payload.update(contraAccount=_wallet_contra(ctx), supplier=_supplier(ctx), user=_person(ctx), team=_team(ctx),
                   note="Cancelled hotel night" if item_type == "refund" else "Disputed double charge")
    return payload


def _fee(ctx: _Context):
    interest = ctx.rng.random() < 0.3
    account = ctx.accounts["interest" if interest else "bank_fees"]
    lines, amount = _lines(ctx, [(_amount(ctx.rng, 1, 40), account, None, [])], ctx.wallet)
    payload = _base(ctx, "fee", days=27, amount=amount, lines=lines, method="journal")
    payload.update(contraAccount=_wallet_contra(ctx), note="Overdraft interest" if interest else "Foreign exchange fee")
    if interest:
        payload["subType"] = "interest"
    return payload


def _allowance(ctx: _Context, item_type: str):
    rng = ctx.rng
    if item_type == "mileage":
        km = rng.randint(12, 480)
        total, note = _q(Decimal(km) * Decimal("0.23")), f"{km} km, client visit"
    else:
        days = rng.randint(1, 4)
        total, note = Decimal(days) * Decimal("48.50"), f"{days} day(s) travel allowance"
    account = ctx.accounts["mileage" if item_type == "mileage" else "per_diem"]
    lines, amount = _lines(ctx, [(total, account, None, _tags(ctx))], ctx.wallet)
    payload = _base(ctx, item_type, days=rng.randint(0, 25), amount=amount, lines=lines, method="journal")
    payload.update(user=_person(ctx), team=_team(ctx), note=note)
    return payload


def _invoice_information(ctx: _Context, status: str, payload: dict, *, bank: bool) -> dict:
    day = date.fromisoformat(payload["date"][:10])
    info = {
        "invoiceNumber": f"INV-{day.year}-{ctx.rng.randint(1000, 9999)}",
        "invoiceDate": f"{day.isoformat()}T00:00:00Z",
        "dueDate": f"{(day + timedelta(days=30)).isoformat()}T00:00:00Z",
        "paymentDate": f"{day.isoformat()}T00:00:00Z" if status == "paid" else None,
        "status": status,
        "supplierBankAccount": None,
    }
    if bank:
        country = (payload.get("vendor") or {}).get("country") or ctx.company.country
        info["supplierBankAccount"] = {
            "bankName": "ING Bank", "country": country, "iban": f"{country}91INGB0001234567",
            "bic": "INGBNL2A", "accountNumber": None, "bankCode": None,
        }
    return info


def _invoice(ctx: _Context, item_type: str):
    rng = ctx.rng
    tax = ctx.taxes["exclusive"] if item_type == "card_invoice" else ctx.taxes["standard"]
    parts = [(_amount(rng, 200, 2500), ctx.accounts["consulting"], tax, _tags(ctx))]
    lines, amount = _lines(ctx, parts, ctx.wallet)
    payload = _base(ctx, item_type, days=rng.randint(0, 20), amount=amount, lines=lines, method="accounts_payable")
    payload.update(supplier=_supplier(ctx) | {"code": "V0012"}, vendor=_vendor(ctx), team=_team(ctx))
    payload["supplier"]["name"] = payload["vendor"]["name"]
    status = "paid" if item_type == "card_invoice" else "scheduled"
    payload["additionalInformation"]["invoiceInformation"] = _invoice_information(
        ctx, status, payload, bank=item_type == "invoice"
    )
    if item_type == "card_invoice":
        payload.update(contraAccount=_wallet_contra(ctx), user=_person(ctx))
    return payload


def _invoice_payment(ctx: _Context, invoice: dict):
    wallet_total = Decimal(invoice["amount"]["inWalletCurrency"]["value"]) / 100
    lines, amount = _lines(ctx, [(wallet_total, ctx.accounts["payable"], None, [])], ctx.wallet)
    payload = _base(ctx, "invoice_payment", days=26, amount=amount, lines=lines, method="accounts_payable")
    payload.update(subType="invoice_payment_sent", contraAccount=_wallet_contra(ctx), vendor=invoice["vendor"],
                   supplier=invoice["supplier"])
    payload["additionalInformation"]["reconciledEntries"] = [invoice["additionalInformation"]["reconciliationId"]]
    payload["additionalInformation"]["invoiceInformation"] = dict(
        invoice["additionalInformation"]["invoiceInformation"], status="paid", paymentDate=payload["date"]
    )
    return payload


def _simple_spend(ctx: _Context, item_type: str):
    rng = ctx.rng
    account = {"cashback": "cashback", "atm_withdrawal": "cash", "personal_spend": "employee_receivable"}[item_type]
    low, high = {"cashback": (1, 60), "atm_withdrawal": (20, 300), "personal_spend": (5, 120)}[item_type]
    lines, amount = _lines(ctx, [(_amount(rng, low, high), ctx.accounts[account], None, [])], ctx.wallet)
    payload = _base(ctx, item_type, days=rng.randint(0, 27), amount=amount, lines=lines, method="journal")
    payload["contraAccount"] = _wallet_contra(ctx)
    if item_type != "cashback":
        payload["user"] = _person(ctx)
        payload["supplier"] = _supplier(ctx) | (
            {"name": "ATM Damrak 1", "categoryCode": "6011", "taxIdentifier": None}
            if item_type == "atm_withdrawal" else {}
        )
    payload["note"] = {"cashback": "Pleo cashback", "atm_withdrawal": "Cash for trade fair",
                       "personal_spend": "Personal purchase by mistake, to be paid back"}[item_type]
    return payload


def _build(ctx: _Context, kind: str) -> list[tuple[str, dict]]:
    """One payload for `kind`, preceded by a companion when a settlement has nothing to settle.

    Every payload built moves ctx.index on, so ids and reconciliation ids stay unique.
    """
    if kind in ("direct_reimbursement", "external_reimbursement"):
        queue = ctx.settle_queue["out_of_pocket"]
        made = []
        if not queue:
            made.append(("out_of_pocket", _out_of_pocket(ctx)))
            ctx.index += 1
            queue.append(made[-1][1])
        settled = [queue.pop(0)]
        made.append((kind, _reimbursement(ctx, kind, settled)))
        ctx.index += 1
        return made
    if kind == "invoice_payment":
        queue = ctx.settle_queue["invoice"]
        made = []
        if not queue:
            made.append(("invoice", _invoice(ctx, "invoice")))
            ctx.index += 1
            queue.append(made[-1][1])
        made.append((kind, _invoice_payment(ctx, queue.pop(0))))
        ctx.index += 1
        return made
    builders = {
        "card_purchase": lambda: _card_purchase(ctx),
        "card_purchase_foreign": lambda: _card_purchase(ctx, foreign=ctx.rng.choice(
            [c for c in ("USD", "GBP") if c != ctx.wallet])),
        "card_purchase_split": lambda: _card_purchase(ctx, split=True),
        "card_purchase_reverse_charge": lambda: _card_purchase(ctx, foreign="USD" if ctx.wallet != "USD" else "GBP",
                                                               reverse=True),
        "out_of_pocket": lambda: _out_of_pocket(ctx),
        "wallet_topup": lambda: _wallet_move(ctx, "wallet_topup"),
        "wallet_unload": lambda: _wallet_move(ctx, "wallet_unload"),
        "refund": lambda: _refund_like(ctx, "refund"),
        "chargeback": lambda: _refund_like(ctx, "chargeback"),
        "fee": lambda: _fee(ctx),
        "mileage": lambda: _allowance(ctx, "mileage"),
        "per_diem": lambda: _allowance(ctx, "per_diem"),
        "card_invoice": lambda: _invoice(ctx, "card_invoice"),
        "invoice": lambda: _invoice(ctx, "invoice"),
        "cashback": lambda: _simple_spend(ctx, "cashback"),
        "atm_withdrawal": lambda: _simple_spend(ctx, "atm_withdrawal"),
        "personal_spend": lambda: _simple_spend(ctx, "personal_spend"),
    }
    payload = builders[kind]()
    if kind == "out_of_pocket":
        ctx.settle_queue["out_of_pocket"].append(payload)
    if kind == "invoice":
        ctx.settle_queue["invoice"].append(payload)
    ctx.index += 1
    return [(kind, payload)]


RECEIPT_TYPES = {"card_purchase", "out_of_pocket", "refund", "card_invoice", "invoice"}


@transaction.atomic
def export_items_generate(
    *,
    company: Company,
    count: int,
    kinds: list[str] | None = None,
    with_receipts: bool = True,
    seed: int = 0,
    currency: str | None = None,
    start_date: date = date(2025, 3, 1),
) -> list[ExportItem]:
    """Create `count` export items for the company (plus a companion out-of-pocket expense or invoice when
    a reimbursement or payment kind finds nothing to settle), cycling through `kinds` (default ITEM_KINDS,
    which covers every type). `currency` is the wallet currency (default the company's).

    Deterministic: the same company id, seed, arguments and number of earlier items give the same payloads.
    """
    kinds = kinds or ITEM_KINDS
    unknown = sorted(set(kinds) - set(KIND_TYPES))
    if unknown:
        raise ValueError(f"Unknown kinds {unknown}; choose from {sorted(KIND_TYPES)}.")
    start_index = ExportItem.objects.filter(company=company).count()
    accounts = {acc.external_id: acc for acc in company.accounts.all()}
    from sandbox.pleo.services import ACCOUNTS  # the seeded chart, keyed by role

    ctx = _Context(
        company=company,
        wallet=currency or company.currency,
        rng=random.Random(f"{seed}:{start_index}"),
        seed=seed,
        start_index=start_index,
        accounts={key: accounts[external_id] for key, external_id, *_ in ACCOUNTS if external_id in accounts},
        taxes={t.uuid: t for t in TaxCode.objects.filter(company=company, archived=False)},
        tags=list(Tag.objects.filter(group__company=company, archived=False).select_related("group")),
        employees=list(Employee.objects.filter(company=company)),
        teams=list(Team.objects.filter(company=company)),
        start_date=start_date,
        with_receipts=with_receipts,
    )
    ctx.taxes = {_tax_role(company, t): t for t in ctx.taxes.values()}
    for (open_type, queue) in (("out_of_pocket", "out_of_pocket"), ("invoice", "invoice")):
        for item in ExportItem.objects.filter(company=company, type=open_type, settled=False).order_by("pk"):
            ctx.settle_queue[queue].append(item.payload)
    created: list[ExportItem] = []
    settled_ids: set[str] = set()
    for n in range(count):
        for kind, payload in _build(ctx, kinds[n % len(kinds)]):
            files = _receipt(ctx, kind, payload) if payload["type"] in RECEIPT_TYPES else []
            if payload["type"] in RECEIPT_TYPES and not files:
                payload["files"] = []
            item = ExportItem.objects.create(
                uuid=uuid.UUID(payload["accountingEntryId"]), company=company, type=payload["type"], kind=kind,
                reconciliation_id=payload["additionalInformation"]["reconciliationId"], payload=payload,
            )
            for position, (name, mime, content) in enumerate(files):
                File.objects.create(uuid=uuid.uuid5(item.uuid, f"file:{position}"), export_item=item, position=position,
                                    name=name, mime_type=mime, content=content)
            settled_ids.update(payload["additionalInformation"]["reconciledEntries"] or [])
            created.append(item)
    if settled_ids:
        ExportItem.objects.filter(company=company, reconciliation_id__in=settled_ids).update(settled=True)
    used = {line["account"]["id"] for item in created for line in item.payload["accountingEntryLines"]
            if line["account"]}
    used |= {item.payload["contraAccount"]["id"] for item in created if item.payload["contraAccount"]}
    BookkeepingAccount.objects.filter(company=company, uuid__in=used).update(linked_to_entries=True)
    return created


def _tax_role(company: Company, tax_code: TaxCode) -> str:
    for role in ("standard", "reduced", "zero", "reverse", "exclusive"):
        if tax_code.uuid == uuid.uuid5(company.uuid, f"tax:{role}"):
            return role
    return str(tax_code.uuid)
