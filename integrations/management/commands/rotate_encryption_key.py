"""`manage.py rotate_encryption_key`: re-encrypt every stored API key and token with the current key."""
from django.core.management import BaseCommand, CommandError

from integrations.keys import encryption_key_rotate


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted field with the first ENCRYPTION_SALT and SECRET_KEY. Run it with the new "
            "value first and the old one still after it; remove the old one only when it reports nothing unreadable.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, batch_size, **options):
        results = encryption_key_rotate(batch_size=batch_size)
        for result in results:
            self.stdout.write(f"{result.name}: {result.re_encrypted} re-encrypted, "
                              f"{result.already_current} already with the current key, "
                              f"{len(result.unreadable)} unreadable")
        unreadable = [row for result in results for row in result.unreadable]
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} value(s) could not be decrypted with any configured key and were left as they are: "
                f"{', '.join(unreadable)}. Add back the key they were saved with and run again, or enter them anew in "
                "the admin. Keep the old key configured until this reports nothing unreadable.")
        self.stdout.write(f"Done: {sum(r.re_encrypted for r in results)} re-encrypted. The old key may now be removed.")
