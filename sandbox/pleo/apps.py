from django.apps import AppConfig


class SandboxPleoConfig(AppConfig):
    name = "sandbox.pleo"
    label = "sandbox_pleo"
    verbose_name = "Sandbox: Pleo"
