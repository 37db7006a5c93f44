"""Receipts: downloaded from Pleo before anything is booked, attached to the Odoo records after."""

from django.conf import settings

from exports.job import Booking, Job
from integrations.errors import PortalError
from integrations.odoo.errors import OdooAuthenticationError, OdooConnectionError, OdooError
from integrations.pleo.client import PleoClient
from integrations.pleo.errors import PleoError, PleoFileTooLargeError


# Pleo's accepted receipt formats (pleo-api README §6.5); anything else is refused with its type named.
RECEIPT_TYPES = {
    "application/pdf", "image/jpeg", "image/png", "text/plain", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


ATTACHMENT_BATCH_BYTES = 20 * 1024 * 1024  # one ir.attachment create call carries at most this much
def fetch(job: Job, bookings: list[Booking]) -> list[Booking]:
    """Download every receipt before anything is booked: an item whose receipt cannot be had fails
    whole, and is tried again with the next export, instead of leaving an entry without its receipt."""
    kept = []
    for booking in bookings:
        try:
            booking.receipts = [_receipt_download(job.pleo, file) for file in booking.plan.files]
        except PortalError as exc:
            job.fail(booking.record, str(exc), exc.extra.get("failure_reason_type", "receipt_download_failure"))
            continue
        kept.append(booking)
    return kept


def _receipt_download(pleo: PleoClient, file: dict):
    kind = (file.get("type") or "").lower()
    limit = settings.RECEIPT_MAX_BYTES
    if kind not in RECEIPT_TYPES:
        raise PortalError(f"A receipt is of type “{kind or 'unknown'}”; Odoo gets PDF, JPEG, PNG, text, Word and "
                          "Excel files only. Replace the receipt in Pleo.",
                          extra={"failure_reason_type": "receipt_conversion_failure"})
    too_large = PortalError(f"A receipt is larger than {limit // (1024 * 1024)} MB; attach a smaller copy in Pleo.",
                            extra={"failure_reason_type": "receipt_file_size_limit_exceeded"})
    if (file.get("size") or 0) > limit:
        raise too_large
    try:
        downloaded = pleo.file_download(file["url"], max_bytes=limit, content_type=kind)
    except PleoFileTooLargeError:
        raise too_large from None
    except PleoError as exc:
        raise PortalError(f"A receipt could not be downloaded from Pleo ({exc}); it is tried again with the next "
                          "export.", extra={"failure_reason_type": "receipt_download_failure"}) from exc
    if not downloaded.content:
        raise PortalError("A receipt downloaded from Pleo is empty; upload it again in Pleo.",
                          extra={"failure_reason_type": "receipt_download_failure"})
    if not downloaded.matches_type:
        raise PortalError(f"A receipt Pleo labels “{kind}” is not such a file (its content is something else); "
                          "upload it again in Pleo.", extra={"failure_reason_type": "receipt_conversion_failure"})
    return downloaded


def attach(job: Job, booked: list[Booking]) -> None:
    """Attach the receipts to their Odoo records in a few calls, each carrying at most 20 MB."""
    with_receipts = [b for b in booked if b.receipts]
    if not with_receipts:
        return
    odoo = job.odoo
    present = odoo.attachments_of(b.move["id"] for b in with_receipts)
    batches, batch, size = [], [], 0
    for booking in with_receipts:
        for receipt in booking.receipts:
            if (booking.move["id"], receipt.name) in present:
                continue  # attached by an earlier run
            if batch and size + receipt.size > ATTACHMENT_BATCH_BYTES:
                batches.append(batch)
                batch, size = [], 0
            batch.append((booking, receipt))
            size += receipt.size
    if batch:
        batches.append(batch)
    for batch in batches:
        files = [(booking.move["id"], receipt.name, receipt.content, receipt.content_type)
                 for booking, receipt in batch]
        try:
            odoo.attachments_create(files)
        except (OdooConnectionError, OdooAuthenticationError):
            raise  # Odoo may have attached them: the next run looks them up instead of failing booked items
        except OdooError as exc:
            for booking in {id(b): b for b, _ in batch}.values():
                job.fail(booking.record, f"Odoo refused a receipt ({exc}); the entry is booked and the receipt is "
                                         "attached with the next export.", "receipt_upload_failure")
