from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Clients and connections"

    def ready(self):
        from integrations.actions import client_action_work_register, client_connections_verify
        from integrations.choices import ClientActionKind

        client_action_work_register(kind=ClientActionKind.VERIFY, work=client_connections_verify)
