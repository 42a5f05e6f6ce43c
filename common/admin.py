from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are history: listed and read in the admin, never added,
    edited or deleted there (access logs, timelines, the notification outbox)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
