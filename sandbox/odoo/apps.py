from django.apps import AppConfig


class SandboxOdooConfig(AppConfig):
    name = "sandbox.odoo"
    label = "sandbox_odoo"
    verbose_name = "Sandbox: Odoo"
