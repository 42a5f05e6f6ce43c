"""The admin: clinic administrators only, and no patient information in it.

Coordinators and surgeons work in the portal's staff pages, where every look
at a case is recorded; the admin shows references, statuses, ids and dates,
never a patient's name, contact details, health answers or photos, so an
admin page needs no access record (README "Roles and the admin").
"""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def _is_administrator(request) -> bool:
    from consultations.access import is_administrator

    return is_administrator(request.user)


class PortalAdminSite(admin.AdminSite):
    site_header = "Consultation portal administration"

    def has_permission(self, request):
        return _is_administrator(request)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def administrators_only(request, *args, **kwargs):
            # Signed in but not an administrator: refused and recorded, not sent
            # to the sign-in page (which would send them straight back here).
            if request.user.is_authenticated and not self.has_permission(request):
                from consultations.access import record_denial

                record_denial(request, status_code=403)
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return administrators_only

    def login(self, request, extra_context=None):
        # One way to sign in (the staff sign-in page, with its lockout and second factor).
        return redirect_to_login(request.GET.get("next") or "/admin/")


class AdministratorAdmin(admin.ModelAdmin):
    """Administrators may do everything the admin offers; model permissions play no part."""

    def has_module_permission(self, request):
        return _is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return _is_administrator(request)

    def has_add_permission(self, request):
        return _is_administrator(request)

    def has_change_permission(self, request, obj=None):
        return _is_administrator(request)

    def has_delete_permission(self, request, obj=None):
        return _is_administrator(request)


class AdministratorInline(admin.TabularInline):
    """A read-only inline for administrators."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return _is_administrator(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(AdministratorAdmin):
    """For records that are history: listed and read in the admin, never added,
    edited or deleted there (access logs, timelines, the notification outbox)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
