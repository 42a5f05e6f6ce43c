"""What the data lifecycle keeps: who erased a request and why, and the objects still to delete."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.append_only import append_only_triggers
from consultations.models import ConsultationRequest


class ErasureRecord(models.Model):
    """One erased request: who (nobody for the retention job), when and why.

    Append-only below the application, like the access log: the proof that a
    request was erased must not itself be erasable.
    """

    consultation = models.OneToOneField(
        ConsultationRequest, on_delete=models.PROTECT, related_name="erasure"
    )
    # Kept as a plain value too: what staff and auditors search by.
    reference = models.CharField(max_length=12)
    # Null when the retention job erased it.
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    erased_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300)
    # Photos and stored objects queued for deletion, for the record.
    photos = models.PositiveIntegerField(default=0)
    objects_queued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-erased_at", "-id"]
        triggers = append_only_triggers("the erasure record")

    def __str__(self) -> str:
        return f"erasure of {self.reference}"


class ObjectDeletion(models.Model):
    """A private-storage object to delete: an outbox row, retried until the object is gone.

    Written in the transaction that removed the rows pointing at the object,
    so the intent survives a crash, a storage outage or a lost task; the row
    is deleted once storage confirms. Keys are random ids, never patient data.
    """

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)

    class Meta:
        # Files before the directory that held them (see lifecycle.erasure).
        ordering = ["id"]

    def __str__(self) -> str:
        return f"object deletion {self.key}"
