"""The firm's formats in templates: {% load formats %} … {{ amount|money:currency }}, {{ rate|rate }},
{{ when|moment }}, {{ date|day }}."""
from django import template

from integrations import formats

register = template.Library()

register.filter("money", formats.money_html)
register.filter("rate", formats.rate)
register.filter("moment", formats.moment)
register.filter("day", formats.day)
