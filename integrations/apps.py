from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Clients and connections"

    def ready(self):
        from django.db.models.signals import pre_delete

        from integrations.actions import client_action_work_register, client_connections_verify
        from integrations.choices import ClientActionKind
        from integrations.models import PleoConnection
        from integrations.webhooks import pleo_connection_removed

        client_action_work_register(kind=ClientActionKind.VERIFY, work=client_connections_verify)
        pre_delete.connect(pleo_connection_removed, sender=PleoConnection, dispatch_uid="integrations.webhooks")
