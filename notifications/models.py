"""The notification outbox: one row per message to one recipient on one channel.

A row is written in the same transaction as the change that caused it, so the
intent to notify is never lost; a Celery task delivers it after commit. The
row holds ids and kinds only: the content is rendered when it is sent, and a
patient recipient is resolved from the request then, so no message text and
no patient address is copied here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import ConsultationRequest


class Event(models.TextChoices):
    REQUEST_SUBMITTED = "request_submitted", _("New request (to staff)")
    REQUEST_CONFIRMATION = "request_confirmation", _("Request received (to patient)")
    MORE_INFO_REQUESTED = "more_info_requested", _("More information requested (to patient)")
    PATIENT_REPLIED = "patient_replied", _("Patient replied (to staff)")
    CASE_ROUTED = "case_routed", _("Case routed (to surgeon)")
    REVIEW_RECORDED = "review_recorded", _("Review recorded (to staff)")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Staff chat webhook")
    # To patients who chose text messages; the number is read at send time.
    SMS = "sms", _("Text message")


class RecipientKind(models.TextChoices):
    PATIENT = "patient", _("The patient")
    USER = "user", _("Staff user")
    ADDRESS = "address", _("Configured address")
    STAFF_WEBHOOK = "staff_webhook", _("Staff webhook")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # The message was handed to the server but no answer came back (a timeout
    # or a dropped connection after the hand-over, or a worker lost before it
    # recorded the answer): it may have arrived. Never re-sent by itself.
    UNCERTAIN = "uncertain", _("Maybe sent (check)")
    CANCELLED = "cancelled", _("Cancelled")


class Notification(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    recipient_kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # Staff or clinic addresses only; a patient's address is read at send time.
    recipient_address = models.EmailField(max_length=254, blank=True)

    status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When a pending row may be sent (next retry).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # While sending: the worker's lease; after it the sweep may take the row over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Committed just before the message is handed to the server, cleared by
    # each new claim: a "sending" row whose lease ran out with this set may
    # have been delivered, so the sweep marks it uncertain instead of re-sending.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message (Twilio's "SM..." sid), to match its
    # delivery reports and to look it up in the provider's console. No content.
    provider_message_id = models.CharField(max_length=64, blank=True)
    # What the provider last reported of the message (Twilio's status callback,
    # notifications/delivery_reports.py): "sent", "delivered", "undelivered", "failed".
    provider_status = models.CharField(max_length=20, blank=True)
    provider_status_at = models.DateTimeField(null=True, blank=True)
    # An email sent because this patient's text failed for good
    # (notifications/fallback.py); one at most per text.
    fallback_for = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="fallback"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending_due",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["claimed_until"],
                name="notification_sending_lease",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["status", "created_at"], name="notification_status_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(recipient_kind="address") | ~Q(recipient_address=""),
                name="notification_address_given",
            ),
            models.CheckConstraint(
                condition=~Q(recipient_kind="patient") & ~Q(recipient_kind="staff_webhook")
                | Q(recipient_address=""),
                name="notification_no_copied_address",
            ),
        ]

    def __str__(self) -> str:
        # Ids and kinds only: this string ends up in logs and admin messages.
        return f"notification {self.pk} {self.event} {self.channel}"

    @property
    def recipient_label(self) -> str:
        if self.recipient_kind == RecipientKind.USER:
            return f"user #{self.recipient_user_id}"
        if self.recipient_kind == RecipientKind.ADDRESS:
            return self.recipient_address
        return self.get_recipient_kind_display()
