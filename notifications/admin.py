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
    fields = readonly_fields = (
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
        "handed_over_at",
        "sent_at",
        # The provider's id and delivery report (texts): no content, no number.
        "provider_message_id",
        "provider_status",
        "provider_status_at",
    )
    actions = ["retry_now", "send_again_maybe_duplicate"]

    @admin.display(description="recipient")
    def recipient_label(self, obj: Notification) -> str:
        return obj.recipient_label

    @admin.action(description="Retry now (failed notifications)")
    def retry_now(self, request, queryset) -> None:
        count = self._queue_again(request, queryset, NotificationStatus.FAILED)
        self.message_user(request, f"{count} failed notification(s) queued again.", messages.INFO)
        uncertain = queryset.filter(status=NotificationStatus.UNCERTAIN).count()
        if uncertain:
            self.message_user(
                request,
                f"{uncertain} maybe-sent notification(s) left alone: they may already have "
                'arrived. Check with the recipient, then use "Send again".',
                messages.WARNING,
            )

    @admin.action(description="Send again (maybe-sent notifications: may arrive twice)")
    def send_again_maybe_duplicate(self, request, queryset) -> None:
        # Its own action, named for the risk, so a bulk "retry now" never duplicates.
        count = self._queue_again(request, queryset, NotificationStatus.UNCERTAIN)
        self.message_user(
            request,
            f"{count} maybe-sent notification(s) sent again: the recipient may get them twice.",
            messages.WARNING,
        )

    def _queue_again(self, request, queryset, status: str) -> int:
        rows = list(queryset.filter(status=status))
        count = notifications_retry(notification_ids=[n.pk for n in rows], statuses=[status])
        for notification in rows:
            # Admin actions write no LogEntry by themselves.
            self.log_change(request, notification, "Queued again.")
        return count
