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
    "error_payload",
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


def error_payload(exc: OdooServerError) -> dict:
    """`data` of an Odoo JSON-RPC error: the recordings' five keys, tracebacks cut like theirs."""
    label = exc.traceback_name or exc.name
    return {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {
            "name": exc.name,
            "debug": f"<traceback cut>\nTraceback (most recent call last):\n{label}: {exc.message}",
            "message": exc.message,
            "arguments": [exc.message],
            "context": {},
        },
    }
