import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class PhotoAngle(models.TextChoices):
    FRONT = "front", _("Front")
    LEFT_OBLIQUE = "left_oblique", _("Left oblique")
    RIGHT_OBLIQUE = "right_oblique", _("Right oblique")
    LEFT_PROFILE = "left_profile", _("Left profile")
    RIGHT_PROFILE = "right_profile", _("Right profile")
    OTHER = "other", _("Other")
    # Sent later by the patient, with a reply to the clinic's question.
    ADDED_LATER = "added_later", _("Added later")


# The order staff see photos in: the guided angles, then the rest.
ANGLE_ORDER = list(PhotoAngle.values)


def angle_rank(angle: str) -> int:
    """Position of an angle in ANGLE_ORDER; photos from before angles were kept count as other."""
    return ANGLE_ORDER.index(angle or PhotoAngle.OTHER)


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be processed")


class RenditionName(models.TextChoices):
    # Full resolution, upright, without metadata: what a surgeon zooms into.
    REVIEW = "review", _("Review")
    DISPLAY = "display", _("Display")
    THUMBNAIL = "thumbnail", _("Thumbnail")


class StoredOriginal(models.Model):
    """An accepted upload in private storage: where it is and what decoding found."""

    # Random and under a fixed prefix: never the patient's file name or name.
    # Kept after the upload itself is deleted, as a record of where it was.
    original_key = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def stored_original(self) -> dict:
        """These fields' values: to record the same stored upload in another row."""
        return {field.name: getattr(self, field.name) for field in StoredOriginal._meta.fields}


class Photo(StoredOriginal):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultation = models.ForeignKey(
        "consultations.ConsultationRequest", on_delete=models.CASCADE, related_name="photos"
    )
    angle = models.CharField(max_length=20, choices=PhotoAngle.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(
        max_length=10, choices=ProcessingStatus.choices, default=ProcessingStatus.PENDING
    )
    # Shown to staff: plain words, never the patient's file name.
    failure_reason = models.CharField(max_length=300, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The raw upload (with its metadata) is deleted once the review image exists.
    original_deleted_at = models.DateTimeField(null=True, blank=True)
    # Measured while the renditions are made (uploads/processing.py), for staff
    # only: mean luminance 0-255, variance of a Laplacian on a 640-pixel grey
    # copy, and the hints those and the size gave with the thresholds of the
    # day ("may be blurry"). Empty until processed.
    brightness = models.FloatField(null=True, blank=True)
    sharpness = models.FloatField(null=True, blank=True)
    quality_hints = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="failed") | ~models.Q(failure_reason=""),
                name="photo_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"photo {self.id}"

    @property
    def is_ready(self) -> bool:
        return self.status == ProcessingStatus.READY

    def rendition(self, name: str) -> "Rendition | None":
        # Through .all() so that a page listing photos can prefetch renditions.
        for rendition in self.renditions.all():
            if rendition.name == name:
                return rendition
        return None

    @property
    def thumbnail_rendition(self) -> "Rendition | None":
        return self.rendition(RenditionName.THUMBNAIL)

    @property
    def display_rendition(self) -> "Rendition | None":
        return self.rendition(RenditionName.DISPLAY)


class HeldUpload(StoredOriginal):
    """A photo that passed validation on a form that still needs correcting.

    Kept against the form's submission key and the browser session that sent
    it (``holder``, a random token kept in that session), so the patient never
    chooses it twice; the form that is finally sent turns it into a Photo.
    Held uploads nobody sends are deleted after PORTAL_HELD_PHOTO_HOURS.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission_key = models.UUIDField(db_index=True)
    holder = models.CharField(max_length=64)
    # A PhotoAngle value: the slot of the form it was chosen in.
    slot = models.CharField(max_length=20, choices=PhotoAngle.choices)
    # The patient's own file name, shown back only to them; never logged.
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"held upload {self.id}"


class Rendition(models.Model):
    """One image derived from a photo, stored privately under a key built from the photo id."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    name = models.CharField(max_length=10, choices=RenditionName.choices)
    key = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["photo", "name"], name="rendition_one_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} of photo {self.photo_id}"
