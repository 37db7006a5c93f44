from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        # The client admin gains its export parts (client page, bulk retry) here, after every admin
        # module is loaded, because mappings, which registers the client admin, may not import exports.
        from exports.client_admin import client_admin_register

        client_admin_register()
