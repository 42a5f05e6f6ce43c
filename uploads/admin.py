from django.contrib import admin, messages

from common.admin import AdministratorAdmin, AdministratorInline

from .models import Photo, Rendition
from .services import photo_reprocess


class RenditionInline(AdministratorInline):
    model = Rendition
    fields = readonly_fields = (
        "name",
        "key",
        "content_type",
        "size",
        "width",
        "height",
        "created_at",
    )


@admin.register(Photo)
class PhotoAdmin(AdministratorAdmin):
    """Processing state only: the image itself is seen on the case page, where it is recorded."""

    list_display = ["id", "consultation", "status", "content_type", "width", "height", "created_at"]
    list_filter = ["status"]
    search_fields = ["=consultation__reference", "=id"]
    fields = readonly_fields = (
        "id",
        "consultation",
        "status",
        "failure_reason",
        "content_type",
        "size",
        "width",
        "height",
        "angle",
        "created_at",
        "processed_at",
        "original_deleted_at",
    )
    inlines = [RenditionInline]
    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Process failed photos again", permissions=["change"])
    def process_again(self, request, queryset):
        photos = list(queryset)
        queued = 0
        for photo in photos:
            if photo_reprocess(photo_id=photo.pk):
                queued += 1
                # Admin actions write no LogEntry by themselves.
                self.log_change(request, photo, "Queued for processing again.")
        self.message_user(request, f"{queued} photo(s) queued for processing again.")
        if queued < len(photos):
            self.message_user(
                request,
                f"{len(photos) - queued} photo(s) skipped: "
                "only failed photos can be processed again.",
                messages.WARNING,
            )
