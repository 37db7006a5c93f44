"""The django-q2 schedules the portal needs, declared in code and put in place idempotently."""

__all__ = ["schedules_ensure"]


def schedules_ensure() -> int:
    """Create or update every declared schedule; returns how many are in place.

    The export and sync schedules per client arrive with the mappings and export issues.
    """
    return 0
