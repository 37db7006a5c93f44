"""What can go wrong when talking to Odoo, by what the caller does next."""
from integrations.errors import PortalError

__all__ = [
    "OdooError",
    "OdooAuthenticationError",
    "OdooPermissionError",
    "OdooNotFoundError",
    "OdooUserError",
    "OdooValidationError",
    "OdooConnectionError",
    "OdooRateLimitError",
    "OdooServerError",
    "OdooProtocolError",
    "ODOO_EXCEPTION_CLASSES",
    "error_for_odoo_exception",
]


class OdooError(PortalError):
    """An Odoo call failed. Carries the HTTP status, Odoo's exception name and its payload minus secrets."""

    should_retry = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        name: str = "",
        payload: dict | None = None,
        request_id=None,
        extra: dict | None = None,
    ):
        super().__init__(message, extra=extra)
        self.status = status
        self.name = name
        self.payload = payload or {}
        self.request_id = request_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"name={self.name!r}, request_id={self.request_id!r})"
        )


class OdooAuthenticationError(OdooError):
    """Login or API key refused: ask for new credentials."""


class OdooPermissionError(OdooError):
    """The integration user lacks a right (odoo.exceptions.AccessError): show the missing right."""


class OdooNotFoundError(OdooError):
    """A database, model, method or record does not exist."""


class OdooUserError(OdooError):
    """Odoo refused a business rule (odoo.exceptions.UserError)."""


class OdooValidationError(OdooError):
    """Odoo refused a constraint (odoo.exceptions.ValidationError)."""


class OdooConnectionError(OdooError):
    """No answer: DNS, refused connection, TLS, time-out, or a gateway error. Retry later."""

    should_retry = True


class OdooRateLimitError(OdooConnectionError):
    """HTTP 429: Odoo (or its proxy) asks us to slow down."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OdooServerError(OdooError):
    """Odoo answered with an error that is none of the above (a server bug, a wrong call shape)."""


class OdooProtocolError(OdooServerError):
    """The server did not answer like Odoo's JSON-RPC (HTML page, not JSON, wrong envelope)."""


# Odoo's exception class (`data.name` of a JSON-RPC error, `name` of a JSON-2 error body) -> what the
# caller does next. Both transports classify through this one table, so the same Odoo exception is the
# same error class whichever way it came.
ODOO_EXCEPTION_CLASSES: dict[str, type[OdooError]] = {
    "odoo.exceptions.AccessDenied": OdooAuthenticationError,
    "odoo.exceptions.AccessError": OdooPermissionError,
    "odoo.exceptions.UserError": OdooUserError,
    "odoo.exceptions.ValidationError": OdooValidationError,
    "odoo.exceptions.MissingError": OdooNotFoundError,
    # Odoo 16-19 raise these for an unknown method or field, or a call of the wrong shape.
    "builtins.TypeError": OdooServerError,
    "builtins.AttributeError": OdooServerError,
    "builtins.ValueError": OdooServerError,
    # JSON-2 (Odoo 19): a wrong or missing API key (401), an unknown model or method (404).
    "werkzeug.exceptions.Unauthorized": OdooAuthenticationError,
    "werkzeug.exceptions.NotFound": OdooNotFoundError,
}


def error_for_odoo_exception(
    name: str, odoo_message: str, *, target: str, default: type[OdooError] = OdooServerError, **kwargs
) -> OdooError:
    """Odoo's own error -> our error, classified on the exception name, never on the message text.

    `odoo_message` must already be free of secrets; `target` names the call ("account.move.create").
    `default` is the class for a name the table does not know.
    """
    error_class = ODOO_EXCEPTION_CLASSES.get(name, default)
    if error_class is OdooAuthenticationError:
        message = f"{odoo_message}: Odoo refused the login or API key. Check them, or create a new API key."
    elif error_class is OdooServerError:
        message = f"Odoo could not run {target}: {odoo_message}"
    else:
        message = odoo_message
    return error_class(message, name=name, **kwargs)
