"""`manage.py pleo_webhooks_subscribe`: subscribe the verified Pleo connections to new export jobs.

For connections verified before the portal had webhooks, or after PORTAL_PUBLIC_URL changed; a working
subscription is kept, a missing or disabled one repaired, never doubled (integrations.webhooks).
"""
from django.core.management import BaseCommand

from integrations.models import PleoConnection
from integrations.selectors import pleo_client_for
from integrations.webhooks import pleo_webhook_subscribe


class Command(BaseCommand):
    help = "Subscribe every verified Pleo connection (or those of the given client ids) to Pleo's export-job webhook."

    def add_arguments(self, parser):
        parser.add_argument("client_ids", nargs="*", type=int)

    def handle(self, *args, **options):
        connections = PleoConnection.objects.select_related("client").filter(verification_passed=True) \
            .exclude(company_id="")
        if options["client_ids"]:
            connections = connections.filter(client_id__in=options["client_ids"])
        working = 0
        for connection in connections:
            ok, words = pleo_webhook_subscribe(connection=connection, client=pleo_client_for(connection))
            working += ok
            self.stdout.write(f"{connection.client}: {words}")
        self.stdout.write(f"{working} of {len(connections)} Pleo connection(s) have a working webhook.")
