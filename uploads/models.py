import uuid

from django.db import models


class PhotoAngle(models.TextChoices):
    FRONT = "front", "Front"
    LEFT_OBLIQUE = "left_oblique", "Left oblique"
    RIGHT_OBLIQUE = "right_oblique", "Right oblique"
    LEFT_PROFILE = "left_profile", "Left profile"
    RIGHT_PROFILE = "right_profile", "Right profile"


class Photo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        "consultations.ConsultationRequest", on_delete=models.CASCADE, related_name="photos"
    )
    # Random and under a fixed prefix: never the patient's file name or name.
    original_key = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    angle = models.CharField(max_length=20, choices=PhotoAngle.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"photo {self.id}"
