from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """Read-only: the table is append-only in the database as well."""

    list_display = ["at", "kind", "username", "user_id", "client_address"]
    list_filter = ["kind"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]
