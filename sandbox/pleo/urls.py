"""The Pleo subset's paths, mounted at /sandbox/pleo/ so a portal's Pleo base URL is http://<host>/sandbox/pleo."""
from django.urls import path, re_path

from sandbox.pleo import views, webhooks

__all__ = ["urlpatterns"]

urlpatterns = [
    path("v3/export-jobs", views.export_jobs),
    path("v3/export-jobs/<str:job_id>", views.export_job),
    path("v3/export-jobs/<str:job_id>/items", views.export_job_items),
    path("v3/export-job-events", views.export_job_events),
    path("v3/export-items", views.export_items),
    path("v0/tag-groups", views.tag_groups),
    path("v0/tag-groups/<str:group_id>", views.tag_group),
    path("v0/tag-groups/<str:group_id>/tags", views.tag_group_tags),
    path("v0/tags:search", views.tags_search),
    path("v0/tags/archive", views.tags_archive),
    path("v0/tags/<str:tag_id>", views.tag),
    path("v0/tax-codes", views.tax_codes),
    path("v0/tax-codes:search", views.tax_codes_search),
    path("v0/tax-codes/<str:tax_code_id>", views.tax_code),
    path("v1/chart-of-accounts", views.accounts),
    path("v1/chart-of-accounts:search", views.accounts_search),
    path("v1/chart-of-accounts/batch", views.accounts_batch),
    path("v1/chart-of-accounts/<str:account_id>", views.account),
    path("v1/introspect", views.introspect),
    path("v1/installations/me", views.installation),
    path("v1/installations/me:activate", views.installation_activate),
    path("v1/subscriptions", webhooks.subscriptions),
    path("v1/subscriptions/<str:subscription_id>", webhooks.subscription),
    path("v1/subscriptions/<str:subscription_id>/secret", webhooks.subscription_secret),
    path("files/<str:file_id>", views.file_download),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
