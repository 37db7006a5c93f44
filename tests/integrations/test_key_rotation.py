"""Rotating the encryption key without downtime: new key first, old one kept, rotate_encryption_key, then the
old one goes. Every stored API key and token still reads; before the command, dropping the old key would not."""
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.test import override_settings

from integrations.models import OdooConnection, PleoConnection
from integrations.keys import encrypted_fields
from tests.factories import OdooConnectionFactory, PleoConnectionFactory

# Both databases: batches read with a cast and SELECT ... FOR UPDATE.
pytestmark = pytest.mark.both_databases


def _forget_derived_keys():
    # The package derives its keys once per field (cached_property); a process restart does the same.
    for _, model_field in encrypted_fields():
        model_field.__dict__.pop("keys", None)
        model_field.__dict__.pop("f", None)


@pytest.fixture
def use_keys():
    """Switch to other keys, as restarting the portal with other settings would."""
    overrides = []

    def use(*, salts, secret_key=settings.SECRET_KEY, fallbacks=()):
        override = override_settings(SALT_KEY=list(salts), SECRET_KEY=secret_key, SECRET_KEY_FALLBACKS=list(fallbacks))
        override.enable()
        overrides.append(override)
        _forget_derived_keys()

    yield use
    for override in reversed(overrides):
        override.disable()
    _forget_derived_keys()


def secrets_read():
    return ({c.pk: c.api_key for c in OdooConnection.objects.all()},
            {c.pk: c.api_token for c in PleoConnection.objects.all()})


def stored(table, column):
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def rotate(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("rotate_encryption_key", *args, stdout=out)
    return out.getvalue()


def test_every_encrypted_field_is_found_by_introspection():
    found = {f"{model._meta.label}.{f.name}" for model, f in encrypted_fields()}
    assert {"integrations.OdooConnection.api_key", "integrations.PleoConnection.api_token"} <= found


@pytest.mark.django_db
@pytest.mark.parametrize("rotation", ["salt", "secret_key"])
def test_rotation_keeps_every_secret_readable_and_lets_the_old_key_go(use_keys, rotation):
    old = {"salts": ["old-salt"], "secret_key": "old-secret-key-" + "x" * 40}
    if rotation == "salt":
        both = {"salts": ["new-salt", "old-salt"], "secret_key": old["secret_key"]}
        new = {"salts": ["new-salt"], "secret_key": old["secret_key"]}
    else:
        both = {"salts": ["old-salt"], "secret_key": "new-secret-key-" + "y" * 40, "fallbacks": [old["secret_key"]]}
        new = {"salts": ["old-salt"], "secret_key": both["secret_key"]}
    use_keys(**old)
    for _ in range(5):
        OdooConnectionFactory()
        PleoConnectionFactory()
    written = secrets_read()
    tokens_before = stored("integrations_odooconnection", "api_key")

    use_keys(**both)  # the new key first, the old one kept: the portal runs on, every secret reads
    assert secrets_read() == written
    use_keys(**new)  # the old key dropped too early: the stored values no longer decrypt
    odoo_keys, pleo_tokens = secrets_read()
    assert not set(odoo_keys.values()) & set(written[0].values())
    assert not set(pleo_tokens.values()) & set(written[1].values())

    use_keys(**both)
    report = rotate("--batch-size", "2")  # batches smaller than the table
    assert "integrations.OdooConnection.api_key: 5 re-encrypted, 0 already with the current key, 0 unreadable" in report
    assert "integrations.PleoConnection.api_token: 5 re-encrypted" in report
    assert "The old key may now be removed" in report
    assert stored("integrations_odooconnection", "api_key") != tokens_before
    assert secrets_read() == written  # unchanged for the portal while it runs

    again = rotate()  # idempotent: nothing left to do, nothing rewritten
    assert "0 re-encrypted, 5 already with the current key" in again
    use_keys(**new)
    assert secrets_read() == written
    for value in [v for side in written for v in side.values()]:
        assert value not in report + again


@pytest.mark.django_db
def test_a_value_no_key_decrypts_is_left_alone_and_named(use_keys):
    use_keys(salts=["lost-salt"])
    lost = OdooConnectionFactory()
    use_keys(salts=["new-salt", "old-salt"])
    kept = OdooConnectionFactory()
    before = stored("integrations_odooconnection", "api_key")
    with pytest.raises(CommandError, match=rf"1 value\(s\) could not be decrypted.*Odoo connection {lost.pk}\b"):
        rotate()
    after = stored("integrations_odooconnection", "api_key")
    assert after[0] == before[0]  # not encrypted a second time on top of itself
    use_keys(salts=["lost-salt"])
    assert OdooConnection.objects.get(pk=lost.pk).api_key == lost.api_key
    use_keys(salts=["new-salt"])
    assert OdooConnection.objects.get(pk=kept.pk).api_key == kept.api_key
