"""Hooks the apps above this one fill in at start-up, so this app never names their code.

`client_schedules_changed` is sent when something a client's schedules depend on changed (its status here,
its poll interval in mappings); exports, which owns the schedules, receives it (ExportsConfig.ready).
"""
from django.dispatch import Signal

client_schedules_changed = Signal()  # sent with client=<Client>
