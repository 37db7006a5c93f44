"""Django's date formats for the screens' language, taken from the firm's locale (integrations/formats.py)."""
from django.conf import settings

from integrations.formats import django_date_formats

globals().update(django_date_formats(settings.PORTAL_LOCALE))
