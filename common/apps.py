from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Django's admin on the portal's site: administrators only (common/admin.py)."""

    default_site = "common.admin.PortalAdminSite"
