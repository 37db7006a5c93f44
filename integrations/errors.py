"""The portal's one application error; each external system hangs its own small tree below it."""

__all__ = ["PortalError"]


class PortalError(Exception):
    """An error a person can act on. `str()` is the bookkeeper's sentence, `repr()` is for logs."""

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, extra={self.extra!r})"
