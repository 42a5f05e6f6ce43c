from django.contrib import admin, messages

from common.admin import ReadOnlyAdmin

from .models import Notification, NotificationStatus
from .services import notifications_retry


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox, read-only: what was sent to whom, and what failed."""

    list_display = [
        "id",
        "consultation",
        "event",
        "channel",
        "recipient_label",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "event", "channel", "created_at"]
    search_fields = ["=consultation__reference"]
    list_select_related = ["consultation"]
    date_hierarchy = "created_at"
    # The patient's address is read at send time and never shown here.
    fields = [
        "consultation",
        "event",
        "channel",
        "recipient_kind",
        "recipient_user",
        "recipient_address",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
        "next_attempt_at",
        "claimed_until",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description="recipient")
    def recipient_label(self, obj: Notification) -> str:
        return obj.recipient_label

    @admin.action(description="Retry now (failed notifications)")
    def retry_now(self, request, queryset) -> None:
        failed = list(queryset.filter(status=NotificationStatus.FAILED))
        count = notifications_retry(notification_ids=[n.pk for n in failed])
        for notification in failed:
            # Admin actions write no LogEntry by themselves.
            self.log_change(request, notification, "Queued again.")
        self.message_user(request, f"{count} failed notification(s) queued again.", messages.INFO)
