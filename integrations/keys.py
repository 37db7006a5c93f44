"""Encryption key rotation: re-encrypt every stored secret with the current key."""
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast
from encrypted_fields.fields import EncryptedFieldMixin

__all__ = ["EncryptedFieldRotation", "encrypted_fields", "encryption_key_rotate"]


@dataclass
class EncryptedFieldRotation:
    """What re-encrypting one encrypted field of one model did."""

    name: str  # "integrations.OdooConnection.api_key"
    re_encrypted: int = 0
    already_current: int = 0
    # "Odoo connection 12": values no configured key decrypts, left as they are (never logged: the value).
    unreadable: list[str] = field(default_factory=list)


def encrypted_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every encrypted field of every installed model, found by introspection so none is forgotten."""
    return [
        (model, model_field)
        for model in apps.get_models()
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, EncryptedFieldMixin)
    ]


def encryption_key_rotate(*, batch_size: int = 500) -> list[EncryptedFieldRotation]:
    """Re-encrypt every stored secret with the current key: the first ENCRYPTION_SALT with SECRET_KEY.

    Zero downtime: while the old salt (or old secret key in SECRET_KEY_FALLBACKS) is still configured
    after the new one, every value reads with either key; once this has run, the old one can go.
    Idempotent: a value already under the current key is left alone. Works in batches, each in its own
    transaction with its rows locked, so a key saved at the same moment is not overwritten with an old one.
    A value no configured key decrypts is left as it is and listed: re-encrypting it would store garbage.
    """
    results = []
    for model, model_field in encrypted_fields():
        keys = [Fernet(key) for key in model_field.keys]
        current, readable = keys[0], MultiFernet(keys)
        result = EncryptedFieldRotation(name=f"{model._meta.label}.{model_field.name}")
        # The stored text as it is in the database: reading the field itself would decrypt it.
        stored = model._base_manager.annotate(stored=Cast(model_field.attname, output_field=models.TextField()))
        last_pk = None
        while True:
            with transaction.atomic():
                batch = stored.exclude(stored__isnull=True).exclude(stored="").order_by("pk").select_for_update()
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                rows = list(batch.values_list("pk", "stored")[:batch_size])
                for pk, token in rows:
                    try:
                        current.decrypt(token.encode())
                        result.already_current += 1
                        continue
                    except InvalidToken:
                        pass
                    try:
                        new_token = readable.rotate(token.encode()).decode()
                    except InvalidToken:
                        result.unreadable.append(f"{model._meta.verbose_name} {pk}")
                        continue
                    # A Value is written as it is; assigning the field would encrypt the token once more.
                    model._base_manager.filter(pk=pk).update(
                        **{model_field.attname: Value(new_token, output_field=models.TextField())}
                    )
                    result.re_encrypted += 1
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
        results.append(result)
    return results
