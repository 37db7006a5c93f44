"""The mapping screens on a 1366 x 768 laptop (Chromium, as the browser tests drive it): none scrolls sideways."""
import pytest

from tests.browser.conftest import (  # noqa: F401 (fixtures of the browser tests, used here by name)
    chromium,
    connected_client,
    firm_admin,
    log_in,
    outside_odoo,
    outside_pleo,
    page,
    sandboxes_at_live_server,
    screenshot,
    sideways_overflow,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mapped_client(connected_client, outside_odoo, outside_pleo, live_server):  # noqa: F811
    """The browser tests' client with every mapping, its taxes synced and its own Pleo tax codes read."""
    from mappings.tax_sync import tax_mapping_sync
    from sandbox.demo import export_mappings_seed
    from sandbox.transport import sandboxes_in_process

    with sandboxes_in_process(live_server.url):
        export_mappings_seed(client=connected_client, database=outside_odoo.database, company=outside_pleo.company)
        assert tax_mapping_sync(client=connected_client).status == "succeeded"
    return connected_client


def test_every_mapping_screen_reads_without_scrolling_sideways(page, firm_admin, mapped_client):  # noqa: F811
    from django.urls import reverse

    from mappings.models import BookingSettings, PleoTaxCode, TagGroupPair

    screens = {
        "tax-mappings": reverse("admin:mappings_taxmapping_changelist"),
        "tax-codes-made-in-pleo": reverse("admin:mappings_pleotaxcode_changelist"),
        "tax-code": reverse("admin:mappings_pleotaxcode_change",
                            args=[PleoTaxCode.objects.get(client=mapped_client, pleo_tax_code="I0").pk]),
        "category-mappings": reverse("admin:mappings_categorymapping_changelist"),
        "map-categories": reverse("admin:mappings_categorymapping_map", args=[mapped_client.pk]),
        "booking-settings": reverse("admin:mappings_bookingsettings_change",
                                    args=[BookingSettings.objects.get(client=mapped_client).pk]),
        "tag-group-pairs": reverse("admin:mappings_taggrouppair_changelist"),
        "tag-group-pair": reverse("admin:mappings_taggrouppair_change",
                                  args=[TagGroupPair.objects.filter(client=mapped_client).first().pk]),
        "sync-runs": reverse("admin:mappings_syncrun_changelist"),
    }
    log_in(page, firm_admin.username)
    too_wide = {}
    for name, url in screens.items():
        page.goto(url)
        screenshot(page, f"mappings-{name}")
        if overflow := sideways_overflow(page):
            too_wide[name] = overflow
    assert too_wide == {}
