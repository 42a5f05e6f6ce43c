import secrets
import uuid

from django.db import models
from django.db.models.functions import Lower
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

# No 0/O or 1/I: a reference is read aloud over the phone and typed by hand.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference() -> str:
    """A reference such as CR-7K4M-Q2XP: 40 random bits, not derived from any id."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"CR-{chars[:4]}-{chars[4:]}"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_TRIAGE = "in_triage", "In triage"
    AWAITING_PATIENT = "awaiting_patient", "Awaiting patient"
    ROUTED = "routed", "Routed to surgeon"
    REVIEWED = "reviewed", "Reviewed"
    CLOSED = "closed", "Closed"
    SPAM = "spam", "Spam"
    DUPLICATE = "duplicate", "Duplicate"


class ContactMethod(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"


class ConcernArea(models.TextChoices):
    UNDER_EYES = "under_eyes", "Under the eyes / tear troughs"
    CHEEKS = "cheeks", "Cheeks"
    TEMPLES = "temples", "Temples"
    JAWLINE = "jawline", "Jawline and chin"
    LIPS_MOUTH = "lips_mouth", "Around the mouth"
    FOREHEAD = "forehead", "Forehead"
    NECK = "neck", "Neck"
    OTHER = "other", "Somewhere else"


class TreatmentKind(models.TextChoices):
    LASER_RESURFACING = "laser_resurfacing", "Laser resurfacing"
    CARBON_PEEL = "carbon_peel", "Carbon peel"
    IPL = "ipl", "IPL (intense pulsed light)"
    RADIOFREQUENCY = "radiofrequency", "Radiofrequency (e.g. microneedling RF)"
    COOLSCULPTING = "coolsculpting", "CoolSculpting"
    FILLERS = "fillers", "Fillers"
    SURGERY = "surgery", "Surgery"
    OTHER = "other", "Other"


class ConsultationRequest(models.Model):
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    # The patient's private status link signs this value; it is never shown.
    status_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Set by the form when it is rendered, so a double submit finds its twin.
    submission_key = models.UUIDField(unique=True, editable=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    phone = PhoneNumberField()
    preferred_contact = models.CharField(max_length=10, choices=ContactMethod.choices)
    date_of_birth = models.DateField()
    country = CountryField()
    region = models.CharField("state, province or region", max_length=100)

    symptoms = models.TextField(max_length=4000)
    goals = models.TextField(max_length=2000)

    privacy_notice_version = models.CharField(max_length=20)
    consent_privacy_at = models.DateTimeField()
    consent_photos_at = models.DateTimeField()
    consent_contact_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="consult_status_created"),
            models.Index(fields=["created_at"], name="consult_created"),
            models.Index(Lower("email"), name="consult_email_lower"),
            models.Index(fields=["phone"], name="consult_phone"),
        ]

    def __str__(self) -> str:
        # Only the reference: this string ends up in logs and admin messages.
        return self.reference


class RequestConcern(models.Model):
    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="concerns"
    )
    area = models.CharField(max_length=20, choices=ConcernArea.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "area"], name="concern_once_per_request")
        ]
        indexes = [models.Index(fields=["area", "request"], name="concern_area_request")]

    def __str__(self) -> str:
        return self.get_area_display()


class PriorTreatment(models.Model):
    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="treatments"
    )
    kind = models.CharField(max_length=20, choices=TreatmentKind.choices)
    other_description = models.CharField(max_length=200, blank=True)
    # Patients remember the month, not the day: stored as the month's first day.
    approximate_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["approximate_date"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="treatment_once_per_request")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
