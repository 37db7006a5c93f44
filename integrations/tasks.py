"""django-q2 tasks: one-line wrappers named after their service, taking ids (STYLE C10)."""

__all__ = ["client_action_run"]


def client_action_run(client_action_id: int) -> None:
    from integrations.actions import client_action_run as run

    run(client_action_id=client_action_id)
