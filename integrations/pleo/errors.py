"""What can go wrong when talking to Pleo, by what the caller does next."""
from integrations.errors import PortalError

__all__ = [
    "PleoError",
    "PleoAuthenticationError",
    "PleoPermissionError",
    "PleoNotFoundError",
    "PleoConflictError",
    "PleoValidationError",
    "PleoConnectionError",
    "PleoRateLimitError",
    "PleoServerError",
    "PleoFileTooLargeError",
]


class PleoError(PortalError):
    """A Pleo call failed. Carries the HTTP status, Pleo's error `type` and its body minus secrets."""

    should_retry = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str = "",
        payload=None,
        request_id: str | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message, extra=extra)
        self.status = status
        self.error_type = error_type
        self.payload = payload
        self.request_id = request_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"error_type={self.error_type!r}, request_id={self.request_id!r})"
        )


class PleoAuthenticationError(PleoError):
    """401: the token is missing, wrong or revoked. Ask for a new token."""


class PleoPermissionError(PleoError):
    """403: the token lacks a scope or the company is not reachable with it."""


class PleoNotFoundError(PleoError):
    """404, e.g. EXPORT_NOT_FOUND."""


class PleoConflictError(PleoError):
    """409, e.g. EXPORT_ALREADY_IN_PROGRESS or a duplicate tag code."""


class PleoValidationError(PleoError):
    """400, 413 or 422: the request broke a rule of the contract (MISSING_CONTRA_ACCOUNTS,
    EXPORT_JOB_ITEMS_UPDATE_LIMIT, INVALID_EXPORT_JOB_STATUS_CHANGE, ...)."""


class PleoConnectionError(PleoError):
    """No answer, a time-out or a gateway error (502, 503, 504). Retry later."""

    should_retry = True


class PleoRateLimitError(PleoConnectionError):
    """429: wait for Retry-After (when given) and try again."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, retry_after={self.retry_after!r})"


class PleoServerError(PleoError):
    """500 or an answer that is not the contract's JSON."""


class PleoFileTooLargeError(PleoError):
    """A receipt is larger than the portal accepts; it was refused before being read in full.
    The export item should be failed with `receipt_file_size_limit_exceeded`."""

    def __init__(self, message: str, *, max_bytes: int, size: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.max_bytes = max_bytes
        self.size = size  # bytes announced or read before stopping; None when unknown
