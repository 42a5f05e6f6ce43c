from django.contrib import admin, messages
from django.template.loader import render_to_string

from common.admin import ReadOnlyAdmin

from .models import Photo, PhotoAccess, Rendition
from .services import photo_reprocess


class RenditionInline(admin.TabularInline):
    model = Rendition
    extra = 0
    can_delete = False
    fields = ["name", "key", "content_type", "size", "width", "height", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "request", "status", "content_type", "width", "height", "created_at"]
    list_filter = ["status"]
    search_fields = ["=request__reference", "=id"]
    readonly_fields = ["preview", *[f.name for f in Photo._meta.fields]]
    inlines = [RenditionInline]
    actions = ["process_again"]

    @admin.display(description="Thumbnail")
    def preview(self, photo):
        return render_to_string("uploads/photo_thumb.html", {"photo": photo})

    @admin.action(description="Process failed photos again", permissions=["change"])
    def process_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queued = sum(photo_reprocess(photo_id=photo_id) for photo_id in ids)
        self.message_user(request, f"{queued} photo(s) queued for processing again.")
        if queued < len(ids):
            self.message_user(
                request,
                f"{len(ids) - queued} photo(s) skipped: only failed photos can be processed again.",
                messages.WARNING,
            )


@admin.register(PhotoAccess)
class PhotoAccessAdmin(ReadOnlyAdmin):
    """The access log is append-only: it can be read here, never edited."""

    list_display = ["accessed_at", "user", "photo_id", "rendition", "ip_address"]
    list_filter = ["rendition", "accessed_at"]
    search_fields = ["=photo__id", "user__username"]
    list_display_links = None
    date_hierarchy = "accessed_at"
