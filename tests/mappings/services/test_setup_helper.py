"""Setup helper: accounts and journals the settings need are proposed first, created in Odoo only on confirmation."""
import pytest

from integrations.odoo.errors import OdooPermissionError
from mappings.models import BookingSettings
from mappings.setup_helper import setup_apply, setup_proposal
from sandbox.odoo.services import emulated_user_groups_set
from tests.odoo_lookups import odoo_account_company, odoo_company_domain


@pytest.fixture
def adviser(fake_odoo):
    """The integration user (6) with Odoo's Billing Administrator (Adviser) right."""
    emulated_user_groups_set(database=fake_odoo.database, uid=fake_odoo.uid, add=["account.group_account_manager"])


def names(odoo, model):
    domain = odoo_company_domain(odoo, 1) if model == "account.account" else [("company_id", "=", 1)]
    return {row["name"] for row in odoo.search_read(model, domain, ["name"])}


@pytest.mark.django_db
def test_proposal_lists_what_odoo_lacks_and_creates_nothing(connected_client, odoo_admin):
    proposal = setup_proposal(client=connected_client)
    assert [p.id for p in proposal] == ["wallet_account", "out_of_pocket_account", "card_journal"]
    wallet = proposal[0]
    assert wallet.kind == "asset_current" and wallet.label == "109900 Pleo Wallet"
    assert proposal[2].values == {"name": "Pleo", "code": "PLEO", "type": "general", "company_id": 1}
    assert "Pleo Wallet" not in names(odoo_admin, "account.account")


@pytest.mark.django_db
def test_confirmed_proposals_are_created_and_chosen_in_the_settings(connected_client, odoo_admin, adviser, superuser):
    ids = ["wallet_account", "out_of_pocket_account", "card_journal"]
    created = setup_apply(client=connected_client, proposal_ids=ids, by=superuser)
    assert [c.label for c in created] == ["109900 Pleo Wallet", "149900 Pleo out-of-pocket", "PLEO Pleo"]
    assert {"Pleo Wallet", "Pleo out-of-pocket"} <= names(odoo_admin, "account.account")
    assert "Pleo" in names(odoo_admin, "account.journal")
    settings = BookingSettings.objects.get(client=connected_client)
    assert (settings.wallet_account_id, settings.card_journal_id) == (created[0].odoo_id, created[2].odoo_id)
    assert settings.wallet_account_label == "109900 Pleo Wallet"
    assert settings.history.first().history_user == superuser
    # Confirming twice creates nothing more: what exists or is chosen is no longer proposed.
    assert setup_apply(client=connected_client, proposal_ids=ids) == []
    assert setup_proposal(client=connected_client) == []


@pytest.mark.django_db
def test_only_the_confirmed_proposals_are_created(connected_client, odoo_admin, adviser):
    created = setup_apply(client=connected_client, proposal_ids=["card_journal"])
    assert [c.id for c in created] == ["card_journal"]
    assert "Pleo Wallet" not in names(odoo_admin, "account.account")
    assert [p.id for p in setup_proposal(client=connected_client)] == ["wallet_account", "out_of_pocket_account"]
    # The settings cannot be completed from a journal alone; the record exists for the bookkeeper to choose.
    assert not BookingSettings.objects.filter(client=connected_client).exists()


@pytest.mark.django_db
def test_a_taken_code_moves_to_the_next_free_one(connected_client, odoo_admin, adviser):
    odoo_admin.create("account.account", {"code": "109900", "name": "Something else", "account_type": "asset_current",
                                          **odoo_account_company(odoo_admin, 1)})
    wallet = setup_proposal(client=connected_client)[0]
    assert wallet.values["code"] == "109901"


@pytest.mark.django_db
def test_without_the_adviser_right_odoos_refusal_is_shown(connected_client, odoo_admin):
    with pytest.raises(OdooPermissionError) as refused:
        setup_apply(client=connected_client, proposal_ids=["wallet_account"])
    assert "You are not allowed to create 'Account' (account.account) records" in str(refused.value)
    assert "Pleo Wallet" not in names(odoo_admin, "account.account")
