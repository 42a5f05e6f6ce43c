from django.contrib import admin

from .models import Photo


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["id", "request", "content_type", "width", "height", "created_at"]
    search_fields = ["=request__reference", "=id"]
    readonly_fields = [f.name for f in Photo._meta.fields]
