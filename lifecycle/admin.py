from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import ErasureRecord, ObjectDeletion


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    """Who erased which request, when and why: read here, never changed (the database refuses)."""

    list_display = ["reference", "erased_at", "erased_by", "reason", "photos", "objects_queued"]
    fields = list_display
    search_fields = ["=reference"]
    date_hierarchy = "erased_at"


@admin.register(ObjectDeletion)
class ObjectDeletionAdmin(ReadOnlyAdmin):
    """Stored objects of erased requests still to delete: rows that stay here keep failing."""

    list_display = ["key", "created_at", "attempts", "next_attempt_at", "last_error"]
    fields = list_display
