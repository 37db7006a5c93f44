"""Behaviour of the emulated Odoo: schema, record store, ORM methods and accounting rules."""
__all__ = []
