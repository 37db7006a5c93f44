"""The server-side exceptions the emulator raises, each answering with Odoo's exact error shape."""

__all__ = [
    "OdooServerError",
    "AccessDenied",
    "AccessError",
    "UserError",
    "ValidationError",
    "RedirectWarning",
    "MissingError",
    "OperationalError",
    "TypeError_",
    "AttributeError_",
    "ValueError_",
    "HttpError",
    "BadRequest",
    "Unauthorized",
    "NotFound",
    "error_data",
    "error_payload",
    "missing_reference",
]


class OdooServerError(Exception):
    """Base of every emulated server error; `name` is what Odoo puts in `data.name`."""

    name = "odoo.exceptions.UserError"
    # Python builtins print their bare class name in a traceback, Odoo's own exceptions their path.
    traceback_name = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AccessDenied(OdooServerError):
    name = "odoo.exceptions.AccessDenied"

    def __init__(self, message: str = "Access Denied"):
        super().__init__(message)


class AccessError(OdooServerError):
    name = "odoo.exceptions.AccessError"


class UserError(OdooServerError):
    name = "odoo.exceptions.UserError"


class ValidationError(OdooServerError):
    name = "odoo.exceptions.ValidationError"


class RedirectWarning(OdooServerError):
    name = "odoo.exceptions.RedirectWarning"


class MissingError(OdooServerError):
    name = "odoo.exceptions.MissingError"


class OperationalError(OdooServerError):
    name = "psycopg2.OperationalError"


class TypeError_(OdooServerError):
    name = "builtins.TypeError"
    traceback_name = "TypeError"


class AttributeError_(OdooServerError):
    name = "builtins.AttributeError"
    traceback_name = "AttributeError"


class ValueError_(OdooServerError):
    name = "builtins.ValueError"
    traceback_name = "ValueError"


class HttpError(OdooServerError):
    """Werkzeug's HTTP exceptions, which Odoo 19's JSON-2 raises itself and answers with their status
    (v19-json2/03, 60, 62e): `arguments` carry the status too, the traceback line the status text."""

    code = 500
    description = "Internal Server Error"


class BadRequest(HttpError):
    name = "werkzeug.exceptions.BadRequest"
    code = 400
    description = "Bad Request"


class Unauthorized(HttpError):
    name = "werkzeug.exceptions.Unauthorized"
    code = 401
    description = "Unauthorized"


class NotFound(HttpError):
    name = "werkzeug.exceptions.NotFound"
    code = 404
    description = "Not Found"


def error_data(exc: OdooServerError) -> dict:
    """The recordings' five keys of an error: JSON-RPC's `error.data`, JSON-2's whole body; tracebacks cut like
    theirs."""
    if isinstance(exc, HttpError):
        arguments, line = [exc.message, exc.code], f"{exc.name}: {exc.code} {exc.description}: {exc.message}"
    else:
        arguments, line = [exc.message], f"{exc.traceback_name or exc.name}: {exc.message}"
    return {
        "name": exc.name,
        "message": exc.message,
        "arguments": arguments,
        "context": {},
        "debug": f"<traceback cut>\nTraceback (most recent call last):\n{line}",
    }


def error_payload(exc: OdooServerError, *, version: int = 17) -> dict:
    """The `error` of an Odoo JSON-RPC answer, with `data` as `error_data` makes it.

    `code` is 200 up to Odoo 18 and 0 from 19 (v19/04, v19/05).
    """
    data = error_data(exc)
    return {
        "code": 0 if version >= 19 else 200,
        "message": "Odoo Server Error",
        "data": {key: data[key] for key in ("name", "debug", "message", "arguments", "context")},
    }


def missing_reference(version: int, *, model: str, model_label: str, field: str, field_label: str) -> ValidationError:
    """A record pointing at an id that does not exist: PostgreSQL's foreign key, worded as Odoo words it.

    Up to 18 the text misleadingly speaks of a record being deleted (v17/55, v18/55); 19 words it anew (v19/55).
    """
    if version >= 19:
        return ValidationError(
            "The operation cannot be completed: Another model is using the record you are trying to delete.\n\n"
            f"The troublemaker is: '{model_label}' ({model})\n"
            f"Thanks to the following constraint: '{field_label}' ({field})\n"
            "How about archiving the record instead?"
        )
    table = model.replace(".", "_")
    constraint = f"{table}_{field}_fkey" if field != "tax_ids" else f"{table}_account_tax_rel_account_tax_id_fkey"
    return ValidationError(
        "The operation cannot be completed: another model requires the record being deleted. "
        f"If possible, archive it instead.\n\nModel: {model_label} ({model})\n"
        f"Constraint: {constraint}\n"
    )
