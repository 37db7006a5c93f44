"""Clients and their connections: adding, pausing, saving. Verify, health and key rotation have their own
modules (verify_odoo, verify_pleo, health, keys)."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from integrations.choices import ClientStatus
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.signals import client_schedules_changed
from integrations.transport import url_policy_check

__all__ = [
    "model_update",
    "client_create",
    "clients_status_set",
    "odoo_connection_save",
    "pleo_connection_save",
]


def model_update(*, instance, fields: list[str], data: dict) -> tuple[object, bool]:
    """Set the given fields from `data`, validate, and save only what changed."""
    changed = [name for name in fields if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        instance.full_clean()
        instance.save(update_fields=[*changed, "updated_at"] if hasattr(instance, "updated_at") else changed)
    return instance, bool(changed)


@transaction.atomic
def client_create(*, name: str, by=None, staff=(), notes: str = "", status: str = ClientStatus.ACTIVE) -> Client:
    """Add a client company. A staff member who adds one handles it, or they could not see it."""
    client = Client(name=name, notes=notes, status=status)
    client.full_clean()
    client.save()
    members = list(staff)
    if by is not None and not by.is_superuser and by not in members:
        members.append(by)
    client.staff.set(members)
    return client


def clients_status_set(*, clients, status: str) -> int:
    """Pause or resume clients; a paused client's exports and syncs do not run."""
    count = 0
    for client in clients:
        _, changed = model_update(instance=client, fields=["status"], data={"status": status})
        if changed:
            client_schedules_changed.send(sender=Client, client=client)
        count += changed
    return count


ODOO_CONNECTION_FIELDS = ["url", "database", "login"]
PLEO_CONNECTION_FIELDS = ["api_base_url", "company_id", "company_name"]


@transaction.atomic
def odoo_connection_save(*, client: Client, data: dict, api_key: str = "") -> OdooConnection:
    """Create or change a client's Odoo connection. A blank `api_key` keeps the stored one.

    Changing the address, database or login forgets the verified state: the old report no longer
    says anything about the new target.
    """
    data = {**data, "url": (data.get("url") or "").strip().rstrip("/")}
    _url_field_check("url", data["url"])
    connection = OdooConnection.objects.filter(client=client).first()
    if connection is None:
        if not api_key:
            raise ValidationError({"api_key": "Enter the API key of the Odoo integration user."})
        connection = OdooConnection(client=client, api_key=api_key,
                                    **{k: data.get(k, "") for k in ODOO_CONNECTION_FIELDS})
        connection.full_clean()
        connection.save()
        return connection
    target_changed = any(getattr(connection, k) != data.get(k, getattr(connection, k)) for k in ODOO_CONNECTION_FIELDS)
    connection, _ = model_update(instance=connection, fields=ODOO_CONNECTION_FIELDS, data=data)
    if api_key:
        connection.api_key = api_key
        connection.save(update_fields=["api_key", "updated_at"])
    if target_changed or api_key:
        _verification_reset(connection, keep_company=not target_changed)
    return connection


@transaction.atomic
def pleo_connection_save(*, client: Client, data: dict, api_token: str = "") -> PleoConnection:
    """Create or change a client's Pleo connection. A blank `api_token` keeps the stored one."""
    data = {**data, "api_base_url": (data.get("api_base_url") or settings.PLEO_API_BASE_URL).strip().rstrip("/")}
    _url_field_check("api_base_url", data["api_base_url"])
    connection = PleoConnection.objects.filter(client=client).first()
    if connection is None:
        if not api_token:
            raise ValidationError({"api_token": "Enter the Pleo API token."})
        connection = PleoConnection(client=client, api_token=api_token,
                                    **{k: data.get(k, "") for k in PLEO_CONNECTION_FIELDS})
        connection.full_clean()
        connection.save()
        return connection
    target_changed = connection.api_base_url != data["api_base_url"]
    connection, _ = model_update(instance=connection, fields=PLEO_CONNECTION_FIELDS, data=data)
    if api_token:
        connection.api_token = api_token
        connection.save(update_fields=["api_token", "updated_at"])
    if target_changed or api_token:
        _verification_reset(connection, keep_company=True)
    return connection


def _url_field_check(field_name: str, url: str) -> None:
    """url_policy_check, its message placed on the address field the person typed it in."""
    try:
        url_policy_check(url)
    except ValidationError as exc:
        raise ValidationError({field_name: exc.messages}) from None


def _verification_reset(connection, *, keep_company: bool) -> None:
    connection.verified_at = None
    connection.verification_passed = None
    # New credentials or a new target deserve a fresh try by the schedule.
    connection.credentials_refused_at = None
    fields = ["verified_at", "verification_passed", "credentials_refused_at", "updated_at"]
    if not keep_company:
        connection.company_id = None if isinstance(connection, OdooConnection) else ""
        connection.company_name = ""
        fields += ["company_id", "company_name"]
    connection.save(update_fields=fields)
