"""The portal's admin site: its home page is the firm's dashboard, the app list stays below it."""
from django.contrib import admin
from django.db.models.base import ModelBase

from dashboard.selectors import dashboard_build, dashboard_filters_parse

__all__ = ["PortalAdminSite", "SUPERUSER_ONLY_APPS"]

# django-q2's screens (Failed, Queued, Scheduled and Successful tasks): the workings of the background tasks, for
# whoever runs the portal, not for the firm's bookkeepers, even if a group gives them those models' permissions.
SUPERUSER_ONLY_APPS = frozenset({"django_q"})


class SuperuserOnlyAdmin:
    """Mixed into the admins of SUPERUSER_ONLY_APPS' models: anyone but a superuser neither sees nor opens them."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class PortalAdminSite(admin.AdminSite):
    index_template = "dashboard/index.html"

    def index(self, request, extra_context=None):
        dashboard = dashboard_build(user=request.user, filters=dashboard_filters_parse(request.GET))
        return super().index(request, {**(extra_context or {}), "dashboard": dashboard})

    def register(self, model_or_iterable, admin_class=None, **options):
        """As AdminSite.register; the admins of SUPERUSER_ONLY_APPS' models (registered by their apps, which we do
        not edit) are made superuser-only here, where every admin is registered."""
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            if model._meta.app_label in SUPERUSER_ONLY_APPS:
                model_admin = type(f"SuperuserOnly{model_admin.__name__}", (SuperuserOnlyAdmin, model_admin),
                                   {"__module__": __name__})
            super().register(model, model_admin, **options)
