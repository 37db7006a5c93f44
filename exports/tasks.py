"""django-q2 tasks: one-line wrappers named after their service, taking ids (STYLE C10)."""

__all__ = ["export_queue_poll", "export_wanted_run", "export_records_drift_check", "tax_mapping_sync", "tag_sync"]


def export_queue_poll(client_id: int, triggered_by: str = "schedule") -> None:
    from exports.services import export_queue_poll as poll

    poll(client_id=client_id, triggered_by=triggered_by)


def export_wanted_run(client_id: int) -> None:
    from exports.webhooks import export_wanted_run as run

    run(client_id=client_id)


def export_records_drift_check(client_id: int) -> None:
    from exports.drift import export_records_drift_check as check

    check(client_id=client_id)


def tax_mapping_sync(client_id: int) -> None:
    from integrations.models import Client
    from mappings.tax_sync import tax_mapping_sync as sync

    sync(client=Client.objects.get(pk=client_id), triggered_by="schedule")


def tag_sync(client_id: int) -> None:
    from integrations.models import Client
    from mappings.tag_sync import tag_sync as sync

    sync(client=Client.objects.get(pk=client_id), triggered_by="schedule")
