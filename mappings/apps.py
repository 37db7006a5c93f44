from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "mappings"
    verbose_name = "Mappings"

    def ready(self):
        from integrations.actions import client_action_work_register
        from integrations.choices import ClientActionKind
        from mappings.sync_now import client_mappings_sync

        client_action_work_register(kind=ClientActionKind.SYNC, work=client_mappings_sync)
