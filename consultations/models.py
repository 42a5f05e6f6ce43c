import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

from common.append_only import append_only_triggers

# No 0/O or 1/I: a reference is read aloud over the phone and typed by hand.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference() -> str:
    """A reference such as CR-7K4M-Q2XP: 40 random bits, not derived from any id."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"CR-{chars[:4]}-{chars[4:]}"


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_TRIAGE = "in_triage", _("In triage")
    AWAITING_PATIENT = "awaiting_patient", _("Awaiting patient")
    ROUTED = "routed", _("Routed to surgeon")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")
    SPAM = "spam", _("Spam")
    DUPLICATE = "duplicate", _("Duplicate")


class Outcome(models.TextChoices):
    CONSULTATION_BOOKED = "consultation_booked", _("Consultation booked")
    DECLINED_BY_CLINIC = "declined_by_clinic", _("Declined by the clinic")
    DECLINED_BY_PATIENT = "declined_by_patient", _("Declined by the patient")
    NO_RESPONSE = "no_response", _("No response from the patient")


class Recommendation(models.TextChoices):
    FAT_GRAFTING_CANDIDATE = "fat_grafting_candidate", _("Candidate for fat grafting")
    IN_PERSON_NEEDED = "in_person_needed", _("In-person consultation needed")
    NOT_A_CANDIDATE = "not_a_candidate", _("Not a candidate")
    OTHER = "other", _("Other")


class ContactMethod(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")


class ConcernArea(models.TextChoices):
    UNDER_EYES = "under_eyes", _("Under the eyes / tear troughs")
    CHEEKS = "cheeks", _("Cheeks")
    TEMPLES = "temples", _("Temples")
    JAWLINE = "jawline", _("Jawline and chin")
    LIPS_MOUTH = "lips_mouth", _("Around the mouth")
    FOREHEAD = "forehead", _("Forehead")
    NECK = "neck", _("Neck")
    OTHER = "other", _("Somewhere else")


class TreatmentKind(models.TextChoices):
    LASER_RESURFACING = "laser_resurfacing", _("Laser resurfacing")
    CARBON_PEEL = "carbon_peel", _("Carbon peel")
    IPL = "ipl", _("IPL (intense pulsed light)")
    RADIOFREQUENCY = "radiofrequency", _("Radiofrequency (e.g. microneedling RF)")
    COOLSCULPTING = "coolsculpting", _("CoolSculpting")
    FILLERS = "fillers", _("Fillers")
    SURGERY = "surgery", _("Surgery")
    OTHER = "other", _("Other")


class ConsultationRequest(models.Model):
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    # The patient's private status link signs this value; it is never shown.
    status_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Set by the form when it is rendered, so a double submit finds its twin.
    submission_key = models.UUIDField(unique=True, editable=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    # Bumped by every workflow change: two staff acting on one case at once
    # cannot overwrite each other (the second is told the case has changed).
    version = models.PositiveIntegerField(default=1)
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routed_cases",
    )
    # The coordinator who took the case ("mine" in the queue); anyone may take it over.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="taken_cases",
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by lifecycle.erasure: the row stays as a tombstone (reference, dates,
    # statuses) with every patient detail blanked.
    erased_at = models.DateTimeField(null=True, blank=True)

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    phone = PhoneNumberField()
    preferred_contact = models.CharField(max_length=10, choices=ContactMethod.choices)
    # Null only once erased; the form still requires it.
    date_of_birth = models.DateField(null=True)
    country = CountryField()
    region = models.CharField("state, province or region", max_length=100)

    symptoms = models.TextField(max_length=4000)
    goals = models.TextField(max_length=2000)

    privacy_notice_version = models.CharField(max_length=20)
    consent_privacy_at = models.DateTimeField()
    consent_photos_at = models.DateTimeField()
    consent_contact_at = models.DateTimeField()

    # The language the patient chose when sending the request (settings.LANGUAGES):
    # their status page and every message to them use it, on whatever device
    # they open them later. Changed by the switch on the status page.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="consult_status_created"),
            models.Index(fields=["created_at"], name="consult_created"),
            models.Index(Lower("email"), name="consult_email_lower"),
            models.Index(fields=["phone"], name="consult_phone"),
            models.Index(fields=["surgeon", "status", "created_at"], name="consult_surgeon_status"),
            models.Index(Lower("last_name"), name="consult_last_name_lower"),
            # The queue's tab counts and its total: an index-only count of live cases.
            models.Index(
                fields=["status"],
                condition=models.Q(erased_at__isnull=True),
                name="consult_live_status",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(outcome=""),
                name="closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="duplicate") | models.Q(duplicate_of__isnull=False),
                name="duplicate_names_original",
            ),
        ]

    def __str__(self) -> str:
        # Only the reference: this string ends up in logs and admin messages.
        return self.reference


class RequestConcern(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="concerns"
    )
    area = models.CharField(max_length=20, choices=ConcernArea.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "area"], name="concern_once_per_request"
            )
        ]
        indexes = [models.Index(fields=["area", "consultation"], name="concern_area_request")]

    def __str__(self) -> str:
        return self.get_area_display()


class PriorTreatment(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="treatments"
    )
    kind = models.CharField(max_length=20, choices=TreatmentKind.choices)
    other_description = models.CharField(max_length=200, blank=True)
    # Patients remember the month, not the day: stored as the month's first day.
    approximate_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["approximate_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "kind"], name="treatment_once_per_request"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class StatusChange(models.Model):
    """The case timeline: every status change, who made it, and why."""

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    # Null when the patient acted (through their status link).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.consultation} {self.from_status} → {self.to_status}"


class InternalNote(models.Model):
    """Staff-only notes; never shown on the patient's status page."""

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="internal_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.consultation}"


class SavedReply(models.Model):
    """A standard question to patients ("please send a left profile in daylight"),
    kept by the administrators, that a coordinator picks and may edit before asking."""

    title = models.CharField(max_length=80, unique=True)
    question = models.TextField(max_length=2000)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "title"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


class InformationRequest(models.Model):
    """A coordinator's question to the patient, and the patient's answer.

    The question is written for the patient and shown on their status page.
    """

    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="information_requests"
    )
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    question = models.TextField(max_length=2000)
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(max_length=4000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"information request {self.pk} on {self.consultation}"


class SurgeonReview(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="reviews"
    )
    surgeon = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recommendation = models.CharField(max_length=30, choices=Recommendation.choices)
    assessment = models.TextField(max_length=6000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"review {self.pk} of {self.consultation}"


class AccessOutcome(models.TextChoices):
    SHOWN = "shown", "Shown"
    DENIED = "denied", "Denied"


class AccessRecord(models.Model):
    """One look at patient information (or one refusal), append-only below the application.

    Written by ``consultations.access`` for every response that opens a case or
    photo through the access rule, one row per response. PostgreSQL refuses
    UPDATE, DELETE and TRUNCATE on this table (the triggers below); see
    README "The access log".

    No foreign key to the case or the photo: erasing a case must neither
    cascade into its access history nor be blocked by it, so a row keeps the
    ids and the reference as plain values.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: a staff account with recorded accesses is deactivated, not deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_records"
    )
    outcome = models.CharField(max_length=10, choices=AccessOutcome.choices)
    # The URL name of the view (e.g. "staff:case_detail"): what was looked at, never the URL.
    view = models.CharField(max_length=80)
    status_code = models.PositiveSmallIntegerField()
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    reference = models.CharField(max_length=12, blank=True)
    photo_id = models.UUIDField(null=True, blank=True)
    rendition = models.CharField(max_length=10, blank=True)
    # List pages (queue, my cases): the references shown, space-separated.
    listed = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case_id", "created_at"], name="access_case_created")]
        triggers = append_only_triggers("the access log")

    def __str__(self) -> str:
        # Ids only: this string ends up in admin messages.
        subject = self.reference or (f"photo {self.photo_id}" if self.photo_id else self.view)
        return f"user {self.user_id} {self.outcome} {subject} at {self.created_at:%Y-%m-%d %H:%M}"
