"""Rules Odoo applies when a record of a model is created, copied or written, per version (constraints, defaults)."""
import base64
import binascii
import re

from sandbox.odoo.engine import errors
from sandbox.odoo.engine.schema import record_companies

__all__ = ["BEFORE_CREATE_HOOKS", "CREATE_HOOKS", "WRITE_HOOKS", "vat_valid"]

NL_WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2]
# The example Odoo 19 names for a country's VAT format (v19/24).
VAT_FORMATS = {"NL": "NL123456782B90"}


# --- res.partner ----------------------------------------------------------------------------
def _partner_create(env, record_id, values):
    vat = values.get("vat")
    if vat and env.version < 19 and not vat_valid(vat):
        raise errors.ValidationError(
            f"\nThe VAT number [{vat}] for partner [{values.get('name')}] does not seem to be valid. \n"
            "Note: the expected format is 'CC##' (CC=Country Code, ##=VAT Number)"
        )


def _partner_vat_19(env, values):
    """19 checks a VAT number only against the partner's country (v19/24-as-17 accepts one without country), and
    before the record is inserted: a refused partner uses up no id (v19/24, then KLM is 12 in v19/25)."""
    vat = values.get("vat")
    if not vat or env.version < 19:
        return
    country = env.get("res.country", values.get("country_id")) if values.get("country_id") else None
    if country is None:
        return
    code = (country.get("code") or "").upper()
    number = re.sub(r"[\s.\-]", "", vat).upper()
    if not number.startswith(code):
        number = code + number
    if not vat_valid(number):
        shown = number[len(code):]
        raise errors.ValidationError(
            f"\nThe VAT number [{shown}] for partner [{values.get('name')}] does not seem to be valid.  \n"
            f"Note: the expected format is {VAT_FORMATS.get(code, code + '##')}"
        )


def vat_valid(vat: str) -> bool:
    """Odoo's base_vat check through python-stdnum, for Dutch numbers; other countries pass."""
    number = re.sub(r"[\s.\-]", "", vat).upper()
    if not re.match(r"^[A-Z]{2}", number):
        return False
    if not number.startswith("NL"):
        return True
    body = number[2:]
    if not re.fullmatch(r"\d{9}B\d{2}", body) or int(body[:9]) <= 0:
        return False
    digits = [int(d) for d in body[:9]]
    if (sum(w * d for w, d in zip(NL_WEIGHTS, digits, strict=False)) - digits[8]) % 11 == 0:
        return True
    # Since 2020 sole traders get numbers checked with ISO 7064 mod 97-10 over "NL" + number.
    converted = "".join(str(ord(c) - 55) if c.isalpha() else c for c in "NL" + body)
    return int(converted) % 97 == 1


# --- account.account --------------------------------------------------------------------------
def _account_create(env, record_id, values):
    if env.version >= 18:
        values["company_ids"] = values.get("company_ids") or [env.main_company_id()]
    else:
        values["company_id"] = values.get("company_id") or env.main_company_id()
    for field in ("code", "name", "account_type"):
        if not values.get(field):
            raise errors.ValidationError(f"Missing required field '{field}' on model 'account.account'")
    _account_code_unique(env, record_id, values)


def _account_write(env, record_id, values):
    if {"code", "company_id", "company_ids"} & set(values):
        merged = {**env.get("account.account", record_id), **values}
        _account_code_unique(env, record_id, merged)


def _account_code_unique(env, record_id, values):
    companies = set(record_companies("account.account", values))
    for other_id, other in env.all("account.account").items():
        if other_id == record_id or other.get("code") != values["code"]:
            continue
        if not companies & set(record_companies("account.account", other)):
            continue
        if env.version == 16:
            raise errors.ValidationError(
                "The operation cannot be completed: The code of the account must be unique per company !"
            )
        if env.version >= 18:  # v18/29, v19/29
            raise errors.ValidationError(
                f"Account codes must be unique. You can't create accounts with these duplicate codes: {values['code']}"
            )
        company = env.display_name("res.company", values["company_id"])
        raise errors.ValidationError(
            f"The code of the account must be unique per company!\n- {values['code']} in {company}"
        )


# --- account.tax ------------------------------------------------------------------------------
def _tax_price_include(env, record_id, values):
    """From 18 price_include is computed: a value sent for it is ignored (v18/87a-as-17, v18/87b-as-17)."""
    if env.version < 18:
        return
    current = env.get("account.tax", record_id) or {}
    override = values.get("price_include_override", current.get("price_include_override"))
    values["price_include"] = override == "tax_included"


# --- others -----------------------------------------------------------------------------------
def _attachment_create(env, record_id, values):
    datas = values.get("datas")
    if datas:
        try:
            values["file_size"] = len(base64.b64decode(datas, validate=False))
        except (binascii.Error, ValueError):
            raise errors.ValueError_("Incorrect padding") from None
    else:
        values["file_size"] = 0
    if not values.get("mimetype"):
        name = (values.get("name") or "").lower()
        values["mimetype"] = (
            "application/pdf" if name.endswith(".pdf") else "image/png" if name.endswith(".png")
            else "image/jpeg" if name.endswith((".jpg", ".jpeg")) else "application/octet-stream"
        )


def _analytic_account_create(env, record_id, values):
    plan = values.get("plan_id")
    values["root_plan_id"] = plan
    if not plan:
        raise errors.ValidationError("Missing required field 'plan_id' on model 'account.analytic.account'")


def _company_write(env, record_id, values):
    for field in ("fiscalyear_lock_date", "period_lock_date", "hard_lock_date"):
        if values.get(field):
            for move in env.all("account.move").values():
                if (move.get("company_id") == record_id and move.get("state") == "draft"
                        and move.get("date") <= values[field]):
                    raise errors.RedirectWarning(
                        "There are still unposted entries in the period you want to lock. "
                        "You should either post or delete them."
                    )


# Run before the new record takes its id; CREATE_HOOKS run after, so a refusal there still uses the id up.
BEFORE_CREATE_HOOKS = {
    "res.partner": _partner_vat_19,
}
CREATE_HOOKS = {
    "res.partner": _partner_create,
    "account.account": _account_create,
    "account.tax": _tax_price_include,
    "ir.attachment": _attachment_create,
    "account.analytic.account": _analytic_account_create,
}
WRITE_HOOKS = {
    "res.company": _company_write,
    "account.account": _account_write,
    "account.tax": _tax_price_include,
}
