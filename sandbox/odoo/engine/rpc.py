"""JSON-RPC services (`common`, `db`, `object`) and the ORM methods reachable through execute_kw."""
import inspect

from sandbox.odoo.engine import accounting, errors
from sandbox.odoo.engine.env import Env, to_decimal
from sandbox.odoo.engine.hooks import BEFORE_CREATE_HOOKS, CREATE_HOOKS, WRITE_HOOKS
from sandbox.odoo.engine.journal_items import m2m_ids
from sandbox.odoo.engine.schema import MODELS

__all__ = ["dispatch", "model_env", "model_method", "call_method", "takes_ids", "execute", "SERVER_VERSIONS"]

SERVER_VERSIONS = {
    16: {"server_version": "16.0+e-20240621", "server_version_info": [16, 0, 0, "final", 0, "e"],
         "server_serie": "16.0", "protocol_version": 1},
    17: {"server_version": "17.0-20240709", "server_version_info": [17, 0, 0, "final", 0, ""],
         "server_serie": "17.0", "protocol_version": 1},
    18: {"server_version": "18.0-20250421", "server_version_info": [18, 0, 0, "final", 0, ""],
         "server_serie": "18.0", "protocol_version": 1},
    19: {"server_version": "19.0-20251227", "server_version_info": [19, 0, 0, "final", 0, ""],
         "server_serie": "19.0", "protocol_version": 1},
}

ACCOUNT_TYPES = [
    ["asset_receivable", "Receivable"], ["asset_cash", "Bank and Cash"], ["asset_current", "Current Assets"],
    ["asset_non_current", "Non-current Assets"], ["asset_prepayments", "Prepayments"],
    ["asset_fixed", "Fixed Assets"], ["liability_payable", "Payable"], ["liability_credit_card", "Credit Card"],
    ["liability_current", "Current Liabilities"], ["liability_non_current", "Non-current Liabilities"],
    ["equity", "Equity"], ["equity_unaffected", "Current Year Earnings"], ["income", "Income"],
    ["income_other", "Other Income"], ["expense", "Expenses"], ["expense_depreciation", "Depreciation"],
    ["expense_direct_cost", "Cost of Revenue"], ["off_balance", "Off-Balance Sheet"],
]
# 19 adds "Other Expenses" after "Expenses" (v19/15).
ACCOUNT_TYPES_19 = ACCOUNT_TYPES[:15] + [["expense_other", "Other Expenses"]] + ACCOUNT_TYPES[15:]
SELECTIONS = {
    ("account.account", "account_type"): ("Type", ACCOUNT_TYPES),
    ("account.move", "state"): ("Status", [["draft", "Draft"], ["posted", "Posted"], ["cancel", "Cancelled"]]),
    ("account.move", "move_type"): ("Type", [
        ["entry", "Journal Entry"], ["out_invoice", "Customer Invoice"], ["out_refund", "Customer Credit Note"],
        ["in_invoice", "Vendor Bill"], ["in_refund", "Vendor Credit Note"], ["out_receipt", "Sales Receipt"],
        ["in_receipt", "Purchase Receipt"]]),
    ("account.move", "payment_state"): ("Payment Status", [
        ["not_paid", "Not Paid"], ["in_payment", "In Payment"], ["paid", "Paid"], ["partial", "Partially Paid"],
        ["reversed", "Reversed"], ["invoicing_legacy", "Invoicing App Legacy"]]),
    ("account.tax", "type_tax_use"): ("Tax Type", [["sale", "Sales"], ["purchase", "Purchases"], ["none", "None"]]),
    ("account.tax", "amount_type"): ("Tax Computation", [
        ["group", "Group of Taxes"], ["fixed", "Fixed"], ["percent", "Percentage of Price"],
        ["division", "Percentage of Price Tax Included"]]),
    ("account.journal", "type"): ("Type", [
        ["sale", "Sales"], ["purchase", "Purchase"], ["cash", "Cash"], ["bank", "Bank"], ["general", "Miscellaneous"]]),
    ("account.tax", "price_include_override"): ("Included in Price", [
        ["tax_included", "Tax Included"], ["tax_excluded", "Tax Excluded"]]),
}
# Private methods that exist on a model: Odoo 18 refuses those with an AccessError, others are unknown (v18/62b, 62).
PRIVATE_METHODS = {
    ("account.move", "_check_balanced"), ("account.move", "_post"), ("account.move", "_compute_name"),
    ("account.move", "_reverse_moves"), ("account.move.line", "_check_constrains_account_id_journal_id"),
    ("res.users", "_check_credentials"), ("res.partner", "_check_vat"),
}
# Odoo's class names up to 18, which a TypeError names (v17/08: "Users.has_group()"); 19 names every model's
# class after its full name (v19/09-as-17: "ResUsers.has_group()").
CLASS_NAMES = {"res.users": "Users", "res.partner": "Partner", "res.company": "Company", "res.groups": "Groups",
               "res.currency": "Currency", "res.country": "Country", "ir.attachment": "IrAttachment"}
# The group a right needs, as the refusal names it per version (v17/27, v18/27, v19/27; v17/59, v18/59, v19/59).
ADVISER_LABELS = {16: "Invoicing/Billing Administrator", 17: "Invoicing/Billing Administrator",
                  18: "Invoicing/Administrator", 19: "Accounting/Administrator"}
KIND_TYPES = {
    "char": "char", "text": "text", "bool": "boolean", "int": "integer", "float": "float", "money": "monetary",
    "date": "date", "datetime": "datetime", "selection": "selection", "json": "json", "m2o": "many2one",
    "o2m": "one2many", "m2m": "many2many",
}
CONTACT_CREATION = "base.group_partner_manager"


# --- services -------------------------------------------------------------------------------
def dispatch(service: str, method: str, args: list, *, server):
    """Answers one JSON-RPC call. `server` finds databases and checks keys (see services.OdooServer).

    Returns (result, env): env is the Env of an object call, to be flushed by the caller.
    """
    if service == "common":
        if method in ("version", "about"):
            return SERVER_VERSIONS[server.version()], None
        if method in ("authenticate", "login"):
            db_name, login, key = args[0], args[1], args[2]
            database = _database(server, db_name)
            return server.authenticate(database, login=login, key=key) or False, None
        raise errors.AttributeError_(f"'common' service has no method {method!r}")
    if service == "db":
        if method == "list":
            return server.database_names(), None
        if method == "server_version":
            return SERVER_VERSIONS[server.version()]["server_version"], None
        raise errors.AccessDenied()
    if service == "object":
        if method not in ("execute_kw", "execute"):
            raise errors.AttributeError_(f"'object' service has no method {method!r}")
        db_name, uid, key, model, model_method = args[:5]
        if method == "execute_kw":
            call_args = args[5] if len(args) > 5 else []
            call_kwargs = args[6] if len(args) > 6 else {}
        else:
            call_args, call_kwargs = list(args[5:]), {}
        database = _database(server, db_name)
        if not isinstance(uid, int) or isinstance(uid, bool) or not server.check_key(database, uid=uid, key=key):
            raise errors.AccessDenied()
        call_kwargs = dict(call_kwargs or {})
        env = model_env(database, uid, call_kwargs.pop("context", None))
        try:
            return execute(env, model, model_method, list(call_args or []), call_kwargs), env
        except errors.OdooServerError as exc:
            exc.env = env  # the caller keeps the ids this failed call used up
            raise
    raise errors.AttributeError_(f"Unknown service {service!r}")


def _database(server, name):
    database = server.database(name)
    if database is None:
        raise errors.OperationalError(
            f'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "{name}" does not exist\n'
        )
    return database


# --- execute_kw ---------------------------------------------------------------------------------
def model_env(database, uid: int, context: dict | None = None) -> Env:
    """The environment one call of `uid` runs in (`context` as the call gives it, e.g. allowed_company_ids)."""
    env = Env(database, uid, context or {})
    accounting.install(env)
    return env


def execute(env: Env, model: str, method: str, args: list, kwargs: dict):
    """One model method called the JSON-RPC way: positional `args` (record ids first on record methods), `kwargs`."""
    return call_method(env, model, method, model_method(env, model, method), args, kwargs)


def model_method(env: Env, model: str, method: str):
    """The handler of `model.method`, or Odoo's refusal: a private method (AccessError; 18: unknown ones an
    AttributeError), an unknown model (UserError, v17/60), an unknown method (AttributeError, v17/61, v18/61)."""
    if method.startswith("_"):
        _refuse_private(env, model, method)
    if model not in MODELS:
        raise errors.UserError(f"Object {model} doesn't exist")
    handler = _find_handler(env, model, method)
    if handler is None:
        if env.version >= 18:  # v18/61
            raise errors.AttributeError_(f"The method '{model}.{method}' does not exist")
        raise errors.AttributeError_(f"The method '{method}' does not exist on the model '{model}'")
    return handler


def takes_ids(handler) -> bool:
    """Whether `handler` is a method of records (its first argument the record ids), not of the model."""
    parameters = list(inspect.signature(handler).parameters)[2:]
    return bool(parameters) and parameters[0] == "ids"


def call_method(env: Env, model: str, method: str, handler, args: list, kwargs: dict):
    """Calls `handler` with `args` and `kwargs`; a call that does not fit it is Python's TypeError, as Odoo words it."""
    try:
        bound = inspect.signature(handler).bind(env, model, *args, **kwargs)
    except TypeError as exc:
        raise errors.TypeError_(_call_shape_message(env, model, method, handler, args, str(exc))) from None
    return handler(*bound.args, **bound.kwargs)


def _refuse_private(env, model, method):
    if env.version < 18:
        raise errors.AccessError(f"Private methods (such as {method}) cannot be called remotely.")
    if env.version == 18 and (model, method) not in PRIVATE_METHODS:
        # 18 looks the method up first: an unknown private one is an unknown method (v18/62).
        raise errors.AttributeError_(f"The method '{model}.{method}' does not exist")
    raise errors.AccessError(f"Private methods (such as '{model}.{method}') cannot be called remotely.")


def _call_shape_message(env, model, method, handler, args, message):
    """Python's TypeError text for a call that does not fit the method, with Odoo's class name."""
    if env.version >= 19:
        owner = "".join(part.capitalize() for part in model.split("."))
    else:
        owner = CLASS_NAMES.get(model) or "".join(part.capitalize() for part in model.split("."))
    if message.startswith("missing a required argument: "):
        return f"{owner}.{method}() missing 1 required positional argument: {message.split(': ', 1)[1]}"
    if "too many positional arguments" in message:
        expected = sum(
            1 for p in inspect.signature(handler).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ) - 1
        return f"{owner}.{method}() takes {expected} positional arguments but {len(args) + 1} were given"
    if message.startswith("got an unexpected keyword argument") and method == "search_read" and env.version >= 19:
        # 19's search_read hands any other keyword on to _read_format (v19-json2/62c, 62d).
        return f"BaseModel._read_format() {message}"
    return message


def _find_handler(env, model, method):
    specific = (HANDLERS_FROM_18.get((model, method)) if env.version >= 18 else None) or HANDLERS.get((model, method))
    if specific:
        return specific
    if (model, method) in BLOCKED:
        return None
    return GENERIC.get(method)


def _ids(value) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    return [v for v in (value or []) if isinstance(v, int)]


def _check_read_access(env, model):
    if model in ("account.move", "account.move.line"):
        accounting.check_move_access(env, model, "read")


def _check_field_access(env, model, fields):
    if (model == "hr.employee" and env.version == 16 and "address_home_id" in (fields or [])
            and not env.has_group("hr.group_hr_user")):
        raise errors.AccessError(
            "The requested operation can not be completed due to security restrictions.\n\n"
            f"Document type: Employee (hr.employee)\nOperation: read\nUser: {env.uid}\n"
            "Fields:\n- address_home_id (allowed for groups 'Employees / Officer : Manage all employees')"
        )


# --- generic ORM methods --------------------------------------------------------------------------
def orm_search(env, model, domain=None, offset=0, limit=None, order=None, count=False):
    _check_read_access(env, model)
    return env.search(model, domain or [], offset=offset, limit=limit, order=order, count=count)


def orm_search_count(env, model, domain=None, limit=None):
    _check_read_access(env, model)
    return env.search(model, domain or [], count=True)


def orm_read(env, model, ids, fields=None, load="_classic_read"):
    _check_read_access(env, model)
    _check_field_access(env, model, fields or list(env.fields(model)))
    return env.read(model, _ids(ids), fields)


def orm_search_read(env, model, domain=None, fields=None, offset=0, limit=None, order=None):
    _check_read_access(env, model)
    ids = None
    if env.version >= 18:  # the domain is checked before the fields (v18/13-as-17 names its leaf)
        ids = env.search(model, domain or [], offset=offset, limit=limit, order=order)
    if fields:
        env.check_fields(model, fields)
    _check_field_access(env, model, fields or list(env.fields(model)))
    if ids is None:
        ids = env.search(model, domain or [], offset=offset, limit=limit, order=order)
    return env.read(model, ids, fields)


def orm_name_get(env, model, ids):
    _check_read_access(env, model)
    return [[i, env.display_name(model, i)] for i in _ids(ids) if env.get(model, i) is not None]


def orm_name_search(env, model, name="", args=None, operator="ilike", limit=100):
    _check_read_access(env, model)
    field = "code" if False else "name"
    domain = list(args or [])
    if name:
        domain.append((field, operator, name))
    ids = env.search(model, domain, limit=limit)
    return [[i, env.display_name(model, i)] for i in ids]


def orm_fields_get(env, model, allfields=None, attributes=None):
    result = {}
    for name, spec in env.fields(model).items():
        if allfields and name not in allfields:
            continue
        kind = spec[0] if isinstance(spec, tuple) else spec
        string, selection = SELECTIONS.get((model, name), (name.replace("_id", "").replace("_", " ").title(), None))
        if (model, name) == ("account.account", "account_type") and env.version >= 19:
            selection = ACCOUNT_TYPES_19
        info = {"type": KIND_TYPES[kind], "string": string}
        if kind == "selection":
            info["selection"] = selection or []
        if isinstance(spec, tuple):
            info["relation"] = spec[1]
        if attributes:
            info = {k: v for k, v in info.items() if k in attributes}
        result[name] = info
    return result


def orm_check_access_rights(env, model, operation, raise_exception=True):
    try:
        _check_rights(env, model, operation)
    except errors.AccessError:
        if raise_exception:
            raise
        return False
    return True


def orm_exists(env, model, ids):
    return [i for i in _ids(ids) if env.get(model, i) is not None and env.visible(model, env.get(model, i))]


def orm_default_get(env, model, fields_list):
    return {}


def _check_rights(env, model, operation):
    if model in ("account.move", "account.move.line"):
        accounting.check_move_access(env, model, operation)
        return
    if operation == "read":
        return
    adviser = ADVISER_LABELS[env.version]
    needs = {
        "account.account": ("account.group_account_manager", "Account", adviser),
        "account.journal": ("account.group_account_manager", "Journal", adviser),
        "account.tax": ("account.group_account_manager", "Tax", adviser),
        "res.partner": (CONTACT_CREATION, "Contact", "Extra Rights/Contact Creation"),
        "res.company": ("base.group_erp_manager", "Companies", "Administration/Access Rights"),
        "res.users": ("base.group_erp_manager", "User", "Administration/Access Rights"),
        "res.groups": ("base.group_erp_manager", "Access Groups", "Administration/Access Rights"),
        "ir.module.module": ("base.group_system", "Module", "Administration/Settings"),
        "ir.model.data": ("base.group_system", "Model Data", "Administration/Settings"),
        "res.currency": ("base.group_system", "Currency", "Administration/Settings"),
        "account.analytic.plan": ("analytic.group_analytic_accounting", "Analytic Plans", "Analytic Accounting"),
        "account.analytic.account": ("analytic.group_analytic_accounting", "Analytic Account", "Analytic Accounting"),
        "hr.employee": ("hr.group_hr_user", "Employee", "Employees/Officer: Manage all employees"),
    }.get(model)
    if needs is None or env.has_group(needs[0]):
        return
    if model == "res.company" and operation == "write" and env.has_group("account.group_account_invoice"):
        return  # accountants may set lock dates and tax settings from the accounting settings
    verb = {"create": "create", "write": "modify", "unlink": "delete"}[operation]
    raise errors.AccessError(
        f"You are not allowed to {verb} '{needs[1]}' ({model}) records.\n\n"
        f"This operation is allowed for the following groups:\n\t- {needs[2]}\n\n"
        "Contact your administrator to request access if necessary."
    )


def _convert(env, model, vals: dict, *, for_create: bool) -> dict:
    fields = env.fields(model)
    env.check_fields(model, vals.keys(), write=True)
    out = {}
    for name, value in vals.items():
        spec = fields.get(name)
        kind = spec[0] if isinstance(spec, tuple) else spec
        if kind == "m2o":
            out[name] = value or None
        elif kind == "m2m":
            out[name] = m2m_ids(value)
        elif kind == "o2m":
            continue
        elif kind == "money":
            out[name] = str(to_decimal(value))
        elif kind == "json":
            out[name] = value or None
        elif kind in ("char", "text", "date", "selection"):
            out[name] = value if value is not False else None
        else:
            out[name] = value
    return out


DEFAULTS = {
    "res.partner": {"active": True, "supplier_rank": 0, "customer_rank": 0, "is_company": False, "type": "contact"},
    "account.account": {"reconcile": False, "tax_ids": []},
    "account.analytic.account": {"active": True},
    "account.analytic.plan": {"default_applicability": "optional"},
    "hr.employee": {"active": True},
    "ir.attachment": {"type": "binary"},
    "account.journal": {"active": True, "sequence": 10},
    "account.tax": {"active": True, "amount_type": "percent", "price_include": False, "type_tax_use": "sale"},
}


def orm_create(env, model, vals_list):
    single = isinstance(vals_list, dict)
    vals_list = [vals_list] if single else list(vals_list)
    if model == "account.move":
        ids = accounting.move_create(env, vals_list)
        return ids[0] if single else ids
    _check_rights(env, model, "create")
    ids = []
    for vals in vals_list:
        values = dict(DEFAULTS.get(model, {}))
        if model == "account.account":  # archived as deprecated up to 18, as not active in 19
            values.update({"active": True} if env.version >= 19 else {"deprecated": False})
        for field in env.fields(model):
            values.setdefault(field, None)
        values.update(_convert(env, model, vals, for_create=True))
        for field, spec in env.fields(model).items():
            if isinstance(spec, tuple) and spec[0] in ("m2m",) and values.get(field) is None:
                values[field] = []
            if isinstance(spec, tuple) and spec[0] == "o2m":
                values.pop(field, None)
        BEFORE_CREATE_HOOKS.get(model, lambda *a: None)(env, values)
        record_id = env.next_id(model)
        CREATE_HOOKS.get(model, lambda *a: None)(env, record_id, values)
        env.create_record(model, values, record_id=record_id)
        ids.append(record_id)
    return ids[0] if single else ids


def orm_write(env, model, ids, vals):
    ids = _ids(ids)
    if model == "account.move":
        return accounting.move_write(env, ids, vals)
    _check_rights(env, model, "write")
    values = _convert(env, model, vals, for_create=False)
    for record_id in ids:
        current = env.get(model, record_id)
        if current is None or not env.visible(model, current):
            raise errors.MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {model}({record_id},), User: {env.uid})"
            )
        WRITE_HOOKS.get(model, lambda *a: None)(env, record_id, values)
        env.update_record(model, record_id, values)
    return True


def orm_unlink(env, model, ids):
    ids = _ids(ids)
    if model == "account.move":
        return accounting.move_unlink(env, ids)
    _check_rights(env, model, "unlink")
    for record_id in ids:
        if env.get(model, record_id) is not None:
            env.delete_record(model, record_id)
    return True


def orm_copy(env, model, ids, default=None):
    """A copy of each record with `default` written over it: an id up to 17, a list of ids from 18 (v18/87a)."""
    if model in ("account.move", "account.move.line"):
        raise errors.UserError(f"The emulator does not copy {model} records")
    _check_rights(env, model, "create")
    overrides = _convert(env, model, dict(default or {}), for_create=True)
    new_ids = []
    for record_id in _ids(ids):
        current = env.get(model, record_id)
        if current is None or not env.visible(model, current):
            raise errors.MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {model}({record_id},), User: {env.uid})"
            )
        values = {key: list(value) if isinstance(value, list) else value for key, value in current.items()}
        if "name" in values and "name" not in overrides:
            values["name"] = f"{values['name']} (copy)"
        values.update(overrides)
        new_id = env.next_id(model)
        if model == "account.tax":
            _copy_repartition_lines(env, new_id, values)
        CREATE_HOOKS.get(model, lambda *a: None)(env, new_id, values)
        env.create_record(model, values, record_id=new_id)
        new_ids.append(new_id)
    if env.version >= 18:
        return new_ids
    return new_ids[0] if new_ids else False


def _copy_repartition_lines(env, tax_id, values):
    for field, inverse in (("invoice_repartition_line_ids", "invoice_tax_id"),
                           ("refund_repartition_line_ids", "refund_tax_id")):
        copies = []
        for rep_id in values.get(field) or []:
            rep = env.get("account.tax.repartition.line", rep_id)
            if rep is not None:
                copies.append(env.create_record("account.tax.repartition.line", {**rep, inverse: tax_id}))
        values[field] = copies


GENERIC = {
    "search": orm_search, "search_count": orm_search_count, "read": orm_read, "search_read": orm_search_read,
    "name_get": orm_name_get, "name_search": orm_name_search, "fields_get": orm_fields_get,
    "check_access_rights": orm_check_access_rights, "exists": orm_exists, "default_get": orm_default_get,
    "create": orm_create, "write": orm_write, "unlink": orm_unlink, "copy": orm_copy,
}


# --- model methods ---------------------------------------------------------------------------------
def users_has_group(env, model, group_ext_id):
    return env.has_group(group_ext_id)


def users_has_group_on_records(env, model, ids, group_ext_id):
    """From 18 has_group is a method of the user record: `[[uid], xml id]` (v18/09); without ids a TypeError."""
    users = _ids(ids)
    if len(users) != 1:
        raise errors.ValueError_(f"Expected singleton: res.users({', '.join(map(str, users))})")
    return env.has_group(group_ext_id, uid=users[0])


def users_context_get(env, model):
    """The user's context; JSON-2 has no login, a client learns its uid here (v19-json2/02)."""
    user = env.user
    return {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or False, "uid": env.uid}


def move_action_post(env, model, ids):
    return accounting.move_action_post(env, _ids(ids))


def move_button_draft(env, model, ids):
    return accounting.move_button_draft(env, _ids(ids))


def move_button_cancel(env, model, ids):
    return accounting.move_button_cancel(env, _ids(ids))


def move_message_post(env, model, ids, body="", subject=None, message_type="notification", attachment_ids=None,
                      partner_ids=None, subtype_xmlid=None, **kwargs):
    return accounting.move_message_post(env, _ids(ids), body=body, attachment_ids=attachment_ids,
                                        message_type=message_type)


def line_reconcile(env, model, ids):
    return accounting.line_reconcile(env, _ids(ids))


HANDLERS = {
    ("res.users", "has_group"): users_has_group,
    ("res.users", "context_get"): users_context_get,
    ("account.move", "action_post"): move_action_post,
    ("account.move", "button_draft"): move_button_draft,
    ("account.move", "button_cancel"): move_button_cancel,
    ("account.move", "message_post"): move_message_post,
    ("account.move.line", "reconcile"): line_reconcile,
}
HANDLERS_FROM_18 = {
    ("res.users", "has_group"): users_has_group_on_records,
}
# Odoo 17 removed name_get; calling it there is an unknown method.
BLOCKED = set()
