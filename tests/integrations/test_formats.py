"""One way to write money, rates and dates: the firm's locale on pages, machine-readable in the CSV."""
import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone
from django.utils.formats import date_format

from integrations.formats import (
    csv_amount,
    csv_day,
    csv_moment,
    day,
    django_date_formats,
    money,
    money_html,
    moment,
    rate,
)

NBSP = "\u00a0"
# 21:16:05.123456 UTC on 1 December is 22:16 in Amsterdam (CET, +01:00).
EVENING = datetime.datetime(2026, 12, 1, 21, 16, 5, 123456, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("amount", "currency", "written"), [
    ("55000", "EUR", f"€{NBSP}55.000,00"),
    ("97.000", "EUR", f"€{NBSP}97,00"),  # the record's three stored decimals are not the currency's
    ("-1234.5", "DKK", f"DKK{NBSP}-1.234,50"),
    ("1234", "JPY", f"JP¥{NBSP}1.234"),  # no decimals in yen
    ("1.2345", "KWD", f"KWD{NBSP}1,234"),  # three in dinar, rounded half to even as booked
])
def test_money_is_written_the_dutch_way_to_the_currencys_decimals(amount, currency, written):
    assert money(Decimal(amount), currency).replace(" ", NBSP) == written


@override_settings(PORTAL_LOCALE="da_DK")
def test_money_follows_the_firms_locale():
    assert money(Decimal("55000"), "EUR").replace(NBSP, " ") == "55.000,00 €"


def test_money_in_a_cell_keeps_to_one_line_and_escapes_nothing_it_should_not():
    assert money_html(Decimal("5.5"), "EUR") == f'<span class="money">€{NBSP}5,50</span>'
    assert money_html(None, "EUR") == "" and money(None, "EUR") == ""


@pytest.mark.parametrize(("percent", "written"), [
    (Decimal("21.0000"), f"21{NBSP}%"),  # Odoo's 21.0000
    (Decimal("0.210000") * 100, f"21{NBSP}%"),  # Pleo's 0.21
    (Decimal("5.5"), f"5,5{NBSP}%"),
    (Decimal("0"), f"0{NBSP}%"),
])
def test_one_rate_reads_the_same_from_odoo_and_from_pleo(percent, written):
    assert rate(percent) == written


def test_times_are_the_firms_local_time_in_the_locales_short_form():
    assert moment(EVENING) == "01-12-2026, 22:16"
    assert day(datetime.date(2026, 12, 1)) == "01-12-2026"
    assert moment(None) == day(None) == ""


def test_djangos_own_date_columns_read_as_ours():
    """List columns and read-only fields Django renders itself use config/formats, taken from the locale."""
    assert date_format(timezone.localtime(EVENING), "DATETIME_FORMAT") == moment(EVENING)
    rendered = Template("{{ when }}|{{ date }}").render(Context({"when": EVENING, "date": datetime.date(2026, 12, 1)}))
    assert rendered == "01-12-2026, 22:16|01-12-2026"


def test_the_template_filters_write_the_same():
    rendered = Template("{% load formats %}{{ a|money:'EUR' }} {{ r|rate }} {{ t|moment }}").render(
        Context({"a": Decimal("1234.5"), "r": Decimal("9"), "t": EVENING}))
    assert rendered == f'<span class="money">€{NBSP}1.234,50</span> 9{NBSP}% 01-12-2026, 22:16'


@pytest.mark.parametrize(("locale", "date", "both"), [
    ("nl_NL", "d-m-Y", "d-m-Y, H:i"),
    ("en_GB", "d/m/Y", "d/m/Y, H:i"),
    ("da_DK", "d.m.Y", "d.m.Y H.i"),
    ("en_US", "n/j/y", "n/j/y, g:i\u202fA"),
])
def test_django_date_formats_are_taken_from_the_locale(locale, date, both):
    formats = django_date_formats(locale)
    assert formats["DATE_FORMAT"] == formats["SHORT_DATE_FORMAT"] == date
    assert formats["DATETIME_FORMAT"] == both


def test_the_csv_is_machine_readable_in_the_firms_time_zone():
    assert csv_amount(Decimal("97.000"), "EUR") == "97.00"
    assert csv_amount(Decimal("1234"), "JPY") == "1234"
    assert csv_amount(None, "EUR") == ""
    assert csv_moment(EVENING) == "2026-12-01T22:16:05+01:00"  # no microseconds, the offset stated
    assert datetime.datetime.fromisoformat(csv_moment(EVENING)) == EVENING.replace(microsecond=0)
    assert csv_day(datetime.date(2026, 12, 1)) == "2026-12-01"
