"""Odoo's external API: `client.OdooClient` (JSON-RPC) and the error tree in `errors`."""

__all__: list[str] = []
