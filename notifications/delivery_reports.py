"""What the SMS provider later reports of a text it took: delivered or not.

Twilio posts to ``StatusCallback`` as the message moves on (queued, sent,
delivered, undelivered, failed). The callback URL names the notification, the
request is signed with the account's auth token (checked in views.py), and
the report is kept on the row: ``provider_status`` and when it came. Nothing
of the request (it carries the patient's number) is kept or logged.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .fallback import email_after_failed_text
from .models import Channel, Notification, NotificationStatus

logger = logging.getLogger(__name__)

# Reports can arrive out of order: a later stage never gives way to an earlier one.
STAGES = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2}
FINAL = {"delivered", "undelivered", "failed", "read"}
NOT_DELIVERED = {"undelivered", "failed"}


def _stage(status: str) -> int:
    return 3 if status in FINAL else STAGES.get(status, -1)


def delivery_report_record(*, notification_id: int, message_sid: str, status: str) -> bool:
    """Keep the provider's report on its text; False if it is not one of ours."""
    if _stage(status) < 0 or not message_sid:
        return False
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, channel=Channel.SMS)
            .first()
        )
        if row is None or row.provider_message_id not in ("", message_sid):
            return False
        if _stage(status) < _stage(row.provider_status):
            return True
        row.provider_message_id = message_sid
        row.provider_status = status
        row.provider_status_at = timezone.now()
        fields = ["provider_message_id", "provider_status", "provider_status_at", "updated_at"]
        if row.status == NotificationStatus.UNCERTAIN:
            # The answer the worker never got: Twilio did take the text (and sent
            # it on, or could not). Settled, so staff need not ask the patient.
            if status == "failed":
                row.status = NotificationStatus.FAILED
            else:
                row.status = NotificationStatus.SENT
                row.sent_at = row.sent_at or timezone.now()
            fields += ["status", "sent_at"]
        row.save(update_fields=fields)
        if status in NOT_DELIVERED:
            email_after_failed_text(row)
    logger.info("sms delivery report id=%s status=%s", notification_id, status)
    return True
