"""django-q2 tasks: one-line wrappers named after their service, taking ids (STYLE C10)."""

__all__ = ["tax_mapping_sync", "tag_sync"]


def tax_mapping_sync(client_id: int) -> None:
    from integrations.models import Client
    from mappings.services import tax_mapping_sync as sync

    sync(client=Client.objects.get(pk=client_id), triggered_by="schedule")


def tag_sync(client_id: int) -> None:
    from integrations.models import Client
    from mappings.services import tag_sync as sync

    sync(client=Client.objects.get(pk=client_id), triggered_by="schedule")
