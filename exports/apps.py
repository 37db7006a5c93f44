from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        # What the lower apps leave to this one: the work of two client-page actions, and the client's
        # schedules when its status or poll interval changes (integrations.actions, integrations.signals).
        from exports.client_actions import client_drift_check, client_export_now
        from exports.schedules import client_schedules_changed_receive
        from integrations.actions import client_action_work_register
        from integrations.choices import ClientActionKind
        from integrations.signals import client_schedules_changed

        client_action_work_register(kind=ClientActionKind.EXPORT, work=client_export_now)
        client_action_work_register(kind=ClientActionKind.DRIFT, work=client_drift_check)
        client_schedules_changed.connect(client_schedules_changed_receive, dispatch_uid="exports.schedules")
