"""Pleo: the client (client.py) and how it sends (transport.py), its error tree (errors.py) and the
contract's facts and choices (contract.py)."""

__all__: list[str] = []
