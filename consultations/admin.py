"""The admin for cases and the access log: references, statuses, ids and dates only.

No field here shows a patient's name, contact details, date of birth, answers,
notes or photos (see common/admin.py); search is by reference only, so no
patient detail ends up in a URL.
"""

import csv
import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from common.admin import AdministratorAdmin, AdministratorInline, ReadOnlyAdmin
from uploads.models import Photo

from .access import record
from .models import (
    AccessOutcome,
    AccessRecord,
    ConsultationRequest,
    InformationRequest,
    InternalNote,
    SavedReply,
    StatusChange,
    SurgeonReview,
)


class PhotoInline(AdministratorInline):
    model = Photo
    fields = readonly_fields = (
        "id",
        "status",
        "failure_reason",
        "content_type",
        "width",
        "height",
        "size",
    )


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(ReadOnlyAdmin):
    list_display = ["reference", "status", "surgeon", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["=reference"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "reference",
        "status",
        "surgeon",
        "outcome",
        "duplicate_of",
        "version",
        "created_at",
        "updated_at",
        "erased_at",
        "privacy_notice_version",
        "consent_privacy_at",
        "consent_photos_at",
        "consent_contact_at",
    )
    inlines = [PhotoInline]


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    # Not the note: staff write patient details into it.
    list_display = fields = ("consultation", "from_status", "to_status", "actor", "created_at")
    list_filter = ["to_status"]
    search_fields = ["=consultation__reference"]


@admin.register(SurgeonReview, InformationRequest, InternalNote)
class CaseRecordAdmin(ReadOnlyAdmin):
    """That a review, question or note exists, and when: its text is read on the case page."""

    list_display = ["__str__", "consultation"]
    fields = ["consultation"]
    search_fields = ["=consultation__reference"]


DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class ExportForm(forms.Form):
    start = forms.DateField(
        label="From (first day)", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label="To (last day)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            raise forms.ValidationError("The first day must not be after the last day.")
        return cleaned


EXPORT_COLUMNS = [
    "created_at",
    "user_id",
    "username",
    "outcome",
    "view",
    "status_code",
    "case_id",
    "reference",
    "photo_id",
    "rendition",
    "listed",
    "ip_address",
    "user_agent",
]


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyAdmin):
    """The access log: read and exported here, never changed (the database refuses)."""

    list_display = [
        "created_at",
        "user",
        "outcome",
        "view",
        "status_code",
        "reference",
        "photo_id",
        "ip_address",
    ]
    list_filter = ["outcome", "view", "created_at"]
    search_fields = ["=reference", "=user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    change_list_template = "admin/access_log_change_list.html"

    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="consultations_accessrecord_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        """The log for a range of days as CSV; the export is itself recorded."""
        form = ExportForm(request.GET or None)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "form": form, "title": "Export"}
            status = 400 if request.GET else 200
            return TemplateResponse(request, "admin/access_log_export.html", context, status=status)
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(form.cleaned_data["start"], datetime.time(), zone)
        end = datetime.datetime.combine(
            form.cleaned_data["end"] + datetime.timedelta(days=1), datetime.time(), zone
        )
        rows = (
            AccessRecord.objects.filter(created_at__gte=start, created_at__lt=end)
            .select_related("user")
            .order_by("created_at", "id")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"access-log-{form.cleaned_data['start']}-to-{form.cleaned_data['end']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv.writer(response)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows.iterator():
            writer.writerow(
                [
                    row.created_at.isoformat(),
                    row.user_id,
                    row.user.username,
                    row.outcome,
                    row.view,
                    row.status_code,
                    row.case_id or "",
                    row.reference,
                    row.photo_id or "",
                    row.rendition,
                    row.listed,
                    row.ip_address or "",
                    row.user_agent,
                ]
            )
        record(request, outcome=AccessOutcome.SHOWN, status_code=200)
        return response


@admin.register(SavedReply)
class SavedReplyAdmin(AdministratorAdmin):
    list_display = ["title", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Every change made in the admin (Django writes these); read here, never edited."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type"]
    date_hierarchy = "action_time"
    fields = [
        "action_time",
        "user",
        "content_type",
        "object_id",
        "object_repr",
        "action_flag",
        "change_message",
    ]


# Staff accounts and roles (role = group, see consultations/access.py), for administrators.
User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(AdministratorAdmin, UserAdmin):
    search_fields = ["=username"]


@admin.register(Group)
class RoleGroupAdmin(AdministratorAdmin, GroupAdmin):
    pass
