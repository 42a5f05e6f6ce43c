from django.contrib import admin

from uploads.models import Photo

from .models import ConsultationRequest, PriorTreatment, RequestConcern


class ConcernInline(admin.TabularInline):
    model = RequestConcern
    extra = 0


class TreatmentInline(admin.TabularInline):
    model = PriorTreatment
    extra = 0


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    can_delete = False
    fields = ["id", "content_type", "width", "height", "size", "angle", "created_at"]
    readonly_fields = ["id", "content_type", "width", "height", "size", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(admin.ModelAdmin):
    list_display = ["reference", "status", "created_at", "country"]
    list_filter = ["status", "created_at"]
    search_fields = ["=reference", "last_name", "email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "created_at",
        "updated_at",
        "privacy_notice_version",
        "consent_privacy_at",
        "consent_photos_at",
        "consent_contact_at",
    ]
    inlines = [ConcernInline, TreatmentInline, PhotoInline]
