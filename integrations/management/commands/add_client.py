"""`manage.py add_client`: add a client with its Odoo and Pleo connections.

Secrets are read from the environment (ODOO_API_KEY, PLEO_API_TOKEN) or asked for without echo,
never taken from command-line arguments, which other users of the machine can see.
"""
import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from integrations.services import client_create, odoo_connection_save, pleo_connection_save


class Command(BaseCommand):
    help = "Add a client company with its Odoo and Pleo connections (API key and token from env or prompt)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--odoo-url", required=True)
        parser.add_argument("--odoo-database", default="")
        parser.add_argument("--odoo-login", required=True)
        parser.add_argument("--pleo-url", default="")
        parser.add_argument("--pleo-company-id", default="")
        parser.add_argument("--pleo-company-name", default="")

    def secret(self, variable: str, prompt: str) -> str:
        value = os.environ.get(variable, "")
        if not value and self.interactive:
            value = getpass.getpass(f"{prompt}: ")
        if not value:
            raise CommandError(f"Set {variable} in the environment (or run interactively to be asked).")
        return value

    def handle(self, *args, **options):
        self.interactive = os.isatty(0)
        api_key = self.secret("ODOO_API_KEY", "Odoo API key")
        token = self.secret("PLEO_API_TOKEN", "Pleo API token")
        try:
            with transaction.atomic():
                client = client_create(name=options["name"])
                odoo_connection_save(client=client, api_key=api_key, data={
                    "url": options["odoo_url"], "database": options["odoo_database"], "login": options["odoo_login"]})
                pleo_connection_save(client=client, api_token=token, data={
                    "api_base_url": options["pleo_url"], "company_id": options["pleo_company_id"],
                    "company_name": options["pleo_company_name"]})
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Added client {client.name} (id {client.pk}). Next: manage.py verify_client {client.pk}")
