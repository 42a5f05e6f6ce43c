from django.contrib import admin

from common.admin import ReadOnlyAdmin
from uploads.models import Photo

from .models import (
    CaseAccess,
    ConsultationRequest,
    InformationRequest,
    InternalNote,
    PriorTreatment,
    RequestConcern,
    StatusChange,
    SurgeonReview,
)


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
    fields = ["id", "status", "failure_reason", "content_type", "width", "height", "size", "angle"]
    readonly_fields = ["id", "status", "failure_reason", "content_type", "width", "height", "size"]

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

    def has_change_permission(self, request, obj=None):
        # Status changes go through the staff pages, which keep the timeline.
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["request", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["=request__reference"]


@admin.register(CaseAccess)
class CaseAccessAdmin(ReadOnlyAdmin):
    list_display = ["request", "user", "ip_address", "created_at"]
    search_fields = ["=request__reference", "user__username"]
    date_hierarchy = "created_at"


@admin.register(SurgeonReview, InformationRequest, InternalNote)
class CaseRecordAdmin(ReadOnlyAdmin):
    search_fields = ["=request__reference"]
