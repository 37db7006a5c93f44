"""One way to write money, rates and dates for the firm: its locale (PORTAL_LOCALE, Dutch by default) and its
time zone (TIME_ZONE), on every page and in the CSV.

Pages get the locale's way (€ 55.000,00, 21 %, 01-12-2026, 22:16); the CSV gets what a spreadsheet reads back
without guessing (55000.00, ISO dates, times with their UTC offset). Dates go through Django's date formats,
which config/formats takes from the locale's short patterns, so list columns and read-only fields Django renders
itself read the same as ours.
"""
import datetime
from decimal import Decimal

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from integrations.pleo.contract import currency_decimals

__all__ = ["money", "money_html", "rate", "moment", "day", "csv_amount", "csv_moment", "csv_day",
           "django_date_formats"]


def _locale() -> str:
    return settings.PORTAL_LOCALE


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return Decimal(amount).quantize(Decimal(1).scaleb(-currency_decimals(currency)))


def money(amount: Decimal | None, currency: str) -> str:
    """An amount in its currency, to the currency's decimals: "€ 55.000,00", "JP¥ 1.234"; "" for none."""
    if amount is None:
        return ""
    return format_currency(_rounded(amount, currency), currency, format=_currency_pattern(currency),
                           locale=_locale(), currency_digits=False)


def _currency_pattern(currency: str) -> str:
    """The locale's currency pattern with the decimals the portal books the currency to (ISO 4217, as Pleo's
    contract: JPY none, KWD three), so a page never shows more or fewer digits than were booked."""
    decimals = currency_decimals(currency)
    pattern = Locale.parse(_locale()).currency_formats["standard"].pattern
    parts = []
    for part in pattern.split(";"):  # the positive and, where the locale has one, the negative pattern
        integer, _, rest = part.partition(".")
        parts.append(integer + ("." + "0" * decimals if decimals else "") + rest.lstrip("0#"))
    return ";".join(parts)


def money_html(amount: Decimal | None, currency: str):
    """money() in a cell that keeps to one line and aligns right with the other amounts (admin.css)."""
    return format_html('<span class="money">{}</span>', money(amount, currency)) if amount is not None else ""


def rate(percent: Decimal | None) -> str:
    """A tax rate given in percent (Odoo's 21.0000, or Pleo's 0.21 times 100): "21 %", "5,5 %".

    Written as the number and a no-break space before %, in every locale, so a rate never reads as 21.0000.
    """
    if percent is None:
        return ""
    return f"{format_decimal(Decimal(percent).normalize(), format='#,##0.####', locale=_locale())}\u00a0%"


def moment(value: datetime.datetime | None) -> str:
    """A point in time in the firm's time zone, the locale's short form: "01-12-2026, 22:16"."""
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def day(value: datetime.date | None) -> str:
    """A date in the locale's short form: "01-12-2026"."""
    if value is None:
        return ""
    return date_format(value, "DATE_FORMAT")


def csv_amount(amount: Decimal | None, currency: str) -> str:
    """An amount for a spreadsheet: a dot, no grouping, the currency's decimals ("97.00", not "97.000")."""
    return "" if amount is None else f"{_rounded(amount, currency):f}"


def csv_moment(value: datetime.datetime | None) -> str:
    """ISO 8601 in the firm's time zone to the second, with its offset: "2026-12-01T22:16:05+01:00"."""
    return "" if value is None else timezone.localtime(value).replace(microsecond=0).isoformat()


def csv_day(value: datetime.date | None) -> str:
    return "" if value is None else value.isoformat()


# LDML (babel's patterns) to Django's date format characters, for the letters short patterns use.
_LDML_TO_DJANGO = {"dd": "d", "d": "j", "MM": "m", "M": "n", "yyyy": "Y", "yy": "y", "y": "Y", "HH": "H",
                   "H": "G", "hh": "h", "h": "g", "mm": "i", "ss": "s", "a": "A"}


def _django_format(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":  # a quoted literal
            end = pattern.index("'", i + 1)
            out.extend("\\" + c for c in pattern[i + 1:end])
            i = end + 1
            continue
        run = len(pattern[i:]) - len(pattern[i:].lstrip(char))
        token = pattern[i:i + run]
        if char.isalpha():
            if token not in _LDML_TO_DJANGO:
                raise ValueError(f"date pattern letter {token!r} of {pattern!r} has no Django equivalent")
            out.append(_LDML_TO_DJANGO[token])
        else:
            out.append("\\" + token if token.isalpha() else token)
        i += run
    return "".join(out)


def django_date_formats(locale: str) -> dict:
    """Django's DATE_FORMAT and friends in the locale's short patterns, so that what Django renders itself
    (list columns, read-only fields) reads as moment() and day() do."""
    date = _django_format(get_date_format("short", locale=locale).pattern)
    time = _django_format(get_time_format("short", locale=locale).pattern)
    both = get_datetime_format("short", locale=locale).replace("{1}", date).replace("{0}", time)
    return {"DATE_FORMAT": date, "SHORT_DATE_FORMAT": date, "TIME_FORMAT": time,
            "DATETIME_FORMAT": both, "SHORT_DATETIME_FORMAT": both}
