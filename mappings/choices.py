"""Choices of the mappings app, as TextChoices so the database can refuse a value that would corrupt books."""
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BookingMode",
    "PostState",
    "TopUpHandling",
    "SyncKind",
    "SyncRunStatus",
    "PleoTaxType",
    "EXPORT_ITEM_TYPES",
    "VENDOR_BILL_ITEM_TYPES",
    "KindMode",
    "LockDatePolicy",
    "ProblemKind",
]

# Every Pleo export item type (pleo-api README §6), in the order the booking settings page shows them.
EXPORT_ITEM_TYPES = (
    "card_purchase",
    "card_invoice",
    "out_of_pocket",
    "mileage",
    "per_diem",
    "external_reimbursement",
    "direct_reimbursement",
    "invoice",
    "invoice_payment",
    "chargeback",
    "refund",
    "cashback",
    "atm_withdrawal",
    "wallet_topup",
    "wallet_unload",
    "personal_spend",
    "fee",
)
# Only purchases have a vendor to bill; a refund, fee or transfer booked as a bill would invent a supplier debt.
VENDOR_BILL_ITEM_TYPES = ("card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice")


class BookingMode(models.TextChoices):
    JOURNAL_ENTRY = "journal_entry", _("Journal entry")
    VENDOR_BILL = "vendor_bill", _("Vendor bill")


class KindMode(models.TextChoices):
    """How one Pleo export item type is booked in Odoo (BookingSettings.kind_modes)."""

    JOURNAL_ENTRY = "journal_entry", _("Journal entry")
    VENDOR_BILL = "vendor_bill", _("Vendor bill")
    FOLLOW_PLEO = "follow_pleo", _("As Pleo says (the item's bookkeeping method)")
    DISABLED = "disabled", _("Not exported")


class LockDatePolicy(models.TextChoices):
    """What the export does with an expense dated inside a period Odoo has locked."""

    FIRST_OPEN_DAY = "first_open_day", _("Book on the first open day (both dates recorded)")
    LEAVE_DRAFT = "leave_draft", _("Leave it as a draft for a bookkeeper")
    FAIL = "fail", _("Do not book it; report it")


class ProblemKind(models.TextChoices):
    NO_BOOKING_SETTINGS = "no_booking_settings", _("No booking settings")
    SETTING_UNUSABLE = "setting_unusable", _("Booking setting unusable in Odoo")
    CATEGORY_UNMAPPED = "category_unmapped", _("Pleo category not mapped")
    CATEGORY_MAPPING_UNUSABLE = "category_mapping_unusable", _("Category mapping unusable in Odoo")
    TAX_MAPPING_ARCHIVED = "tax_mapping_archived", _("Tax mapping archived")
    ODOO_UNREACHABLE = "odoo_unreachable", _("Odoo could not be read")
    PLEO_UNREACHABLE = "pleo_unreachable", _("Pleo could not be read")


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft (a bookkeeper posts it)")
    POSTED = "posted", _("Posted")


class TopUpHandling(models.TextChoices):
    IGNORE = "ignore", _("Ignore (booked from the bank statement)")
    BOOK = "book", _("Book as journal entry")


class SyncKind(models.TextChoices):
    TAX = "tax", _("Taxes → Pleo tax codes")
    TAGS = "tags", _("Analytic accounts → Pleo tags")


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class PleoTaxType(models.TextChoices):
    # Pleo's own words (pleo-api README §8); "exclusive" is refused by Pleo ("not currently supported").
    INCLUSIVE = "inclusive", _("Inclusive (amount paid includes the tax)")
    REVERSE = "reverse", _("Reverse charge")
