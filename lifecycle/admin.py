from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from common.admin import ReadOnlyAdmin

from .models import ErasureRecord, ObjectDeletion
from .orphans import orphan_grace, storage_report


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    """Who erased which request, when and why: read here, never changed (the database refuses)."""

    list_display = fields = (
        "reference",
        "erased_at",
        "erased_by",
        "reason",
        "photos",
        "objects_queued",
    )
    search_fields = ["=reference"]
    date_hierarchy = "erased_at"


@admin.register(ObjectDeletion)
class ObjectDeletionAdmin(ReadOnlyAdmin):
    """Stored objects of erased requests still to delete: rows that stay here keep failing."""

    list_display = fields = ("key", "created_at", "attempts", "next_attempt_at", "last_error")
    change_list_template = "admin/object_deletion_change_list.html"

    def get_urls(self):
        report = path(
            "storage-report/",
            self.admin_site.admin_view(self.storage_report_view),
            name="lifecycle_storage_report",
        )
        return [report, *super().get_urls()]

    def storage_report_view(self, request):
        """Reads only: deleting is the hourly reconciliation's (or the command's) job."""
        context = {
            **self.admin_site.each_context(request),
            "title": "Private storage against the rows",
            "report": storage_report(),
            "grace": orphan_grace(),
        }
        return TemplateResponse(request, "admin/storage_report.html", context)
