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
