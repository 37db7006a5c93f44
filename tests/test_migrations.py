"""Models and migrations agree: a model change committed without its migration fails here, not at a firm's deploy.

The migrations themselves run at the start of each pass of `make test`, on SQLite and on PostgreSQL, as they
build the test databases."""
from io import StringIO

import pytest
from django.core.management import call_command

__all__: list[str] = []


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
    except SystemExit:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations would write:\n{out.getvalue()}")
