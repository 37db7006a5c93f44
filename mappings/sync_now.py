"""Sync now, the client page's action: categories read from Pleo, taxes and paired analytic accounts pushed to it."""
from integrations.actions import client_action_progress_set
from integrations.models import ClientAction
from mappings.category_mappings import category_mappings_refresh
from mappings.choices import SyncRunStatus
from mappings.tag_sync import tag_sync
from mappings.tax_sync import tax_mapping_sync


def client_mappings_sync(action: ClientAction) -> tuple[bool, str]:
    """Read the categories from Pleo, push Odoo's taxes and paired analytic accounts to Pleo."""
    client, by = action.client, action.requested_by
    client_action_progress_set(action=action, text="Reading the categories from Pleo…")
    changed = category_mappings_refresh(client=client, by=by)
    sentences, succeeded = [f"Categories read from Pleo: {changed} new or changed."], True
    for label, sync in (("Taxes", tax_mapping_sync), ("Tags", tag_sync)):
        client_action_progress_set(action=action, text=f"Syncing {label.lower()} to Pleo…")
        run = sync(client=client, by=by)
        if run.status == SyncRunStatus.FAILED:
            succeeded = False
            sentences.append(f"{label}: the sync failed: {run.errors}")
        else:
            sentences.append(f"{label}: {run.created_count} created, {run.updated_count} updated, "
                             f"{run.archived_count} archived, {run.skipped_count} skipped.")
    return succeeded, " ".join(sentences)
