"""Connection health: whether a connection is failing, since when and why, as the dashboard shows it.

Written with update() so a run every five minutes adds no connection history rows.
"""
from django.utils import timezone

__all__ = ["KEY_EXPIRY_WARNING_DAYS", "connection_failure_record", "connection_success_record"]

# A key expiring within this many days makes the connection need attention (Verify, the dashboard).
KEY_EXPIRY_WARNING_DAYS = 14


def connection_failure_record(*, connection, reason: str, credentials_refused: bool = False) -> None:
    """Note on the connection that it failed, since when and why, for the dashboard."""
    now = timezone.now()
    connection.failing_since = connection.failing_since or now
    connection.last_failure = reason[:2000]
    if credentials_refused:
        connection.credentials_refused_at = connection.credentials_refused_at or now
    type(connection).objects.filter(pk=connection.pk).update(
        failing_since=connection.failing_since, last_failure=connection.last_failure,
        credentials_refused_at=connection.credentials_refused_at,
    )


def connection_success_record(*, connection) -> None:
    """The connection worked: clear what the dashboard showed against it."""
    if not (connection.failing_since or connection.last_failure or connection.credentials_refused_at):
        return
    connection.failing_since, connection.last_failure, connection.credentials_refused_at = None, "", None
    type(connection).objects.filter(pk=connection.pk).update(
        failing_since=None, last_failure="", credentials_refused_at=None,
    )
