import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import PhoneNumberType, number_type

from uploads.models import HeldUpload, PhotoAngle
from uploads.services import AcceptedPhoto
from uploads.templatetags.photo_sizes import photo_size
from uploads.validation import (
    ACCEPTED_FILE_TYPES,
    ACCEPTED_FORMATS_TEXT,
    PhotoRejected,
    inspect_photo,
)

from .models import ConcernArea, ConsultationRequest, ContactMethod, TreatmentKind
from .submission import TreatmentEntry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from one file input, each decoded and checked before it is accepted.

    Every problem is reported for its own file, by name, and all of them at
    once, so that a patient choosing eight photos learns about each one.
    """

    widget: type[forms.FileInput] = MultipleFileInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPTED_FILE_TYPES
        # Lazy: the limits are read from settings when the page is drawn.
        self.help_text = self.help_text or lazy(_photos_help_text, str)(required=self.required)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        # The photos that passed when others in the same input did not: the
        # form holds them, so the patient chooses again only the refused ones.
        self.accepted_despite_errors = []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        single_file_clean = super().clean
        try:
            return _accepted_photos(
                files, single_file_clean=lambda f: single_file_clean(f, initial)
            )
        except PhotosPartlyRefused as refused:
            self.accepted_despite_errors = refused.accepted
            raise


class SlotPhotoField(MultiplePhotoField):
    """One photo for one guided angle: the same checks, a single-file input."""

    widget = forms.FileInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        return super().clean(data[:1] if isinstance(data, list | tuple) else data, initial)


@dataclass(frozen=True)
class Slot:
    angle: str
    # Lazy translations: read in the language of the page.
    label: str | Promise
    advice: str | Promise


# The guided angles, in the order of the page and of the staff pages.
SLOTS = [
    Slot(
        PhotoAngle.FRONT,
        pgettext_lazy("photo angle", "Front"),
        _("Look straight at the camera, face relaxed."),
    ),
    Slot(
        PhotoAngle.LEFT_OBLIQUE,
        pgettext_lazy("photo angle", "Left oblique"),
        _("Turn halfway to your left."),
    ),
    Slot(
        PhotoAngle.RIGHT_OBLIQUE,
        pgettext_lazy("photo angle", "Right oblique"),
        _("Turn halfway to your right."),
    ),
    Slot(
        PhotoAngle.LEFT_PROFILE,
        pgettext_lazy("photo angle", "Left profile"),
        _("Turn fully to your left, chin level."),
    ),
    Slot(
        PhotoAngle.RIGHT_PROFILE,
        pgettext_lazy("photo angle", "Right profile"),
        _("Turn fully to your right, chin level."),
    ),
]


class KeptPhotosMixin(forms.BaseForm):
    """Photos chosen in several fields, and photos kept from an earlier post of the form.

    ``kept`` are the HeldUploads this browser holds for the form's submission
    key. A kept photo stays unless its "Remove" box is ticked or a new file is
    chosen in its slot; the maximum counts kept and new photos together.
    ``photo_fields`` maps each photo field to the angle its photos get.
    """

    photo_fields: dict[str, str] = {}
    REMOVE = "remove_kept"
    _new_photos: list[AcceptedPhoto]

    def __init__(self, *args, kept: Sequence[HeldUpload] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = list(kept)

    def removed_ids(self) -> set[str]:
        return set(self.data.getlist(self.REMOVE)) if hasattr(self.data, "getlist") else set()

    def kept_in(self, angle: str) -> list[HeldUpload]:
        return [held for held in self.kept if held.slot == angle]

    def new_photos(self) -> list[AcceptedPhoto]:
        """Every photo of this post that passed its checks, with its angle and name."""
        if hasattr(self, "_new_photos"):
            return self._new_photos
        cleaned = getattr(self, "cleaned_data", {})
        new: list[AcceptedPhoto] = []
        for name, angle in self.photo_fields.items():
            passed = cleaned.get(name) or getattr(self.fields[name], "accepted_despite_errors", [])
            new.extend(chosen_in(accepted, angle) for accepted in passed)
        return new

    def kept_staying(self) -> list[HeldUpload]:
        """Kept photos neither removed nor replaced by a new photo in their slot."""
        removed = self.removed_ids()
        replaced = {p.angle for p in self.new_photos() if p.angle in SLOT_ANGLES}
        return [h for h in self.kept if str(h.pk) not in removed and h.slot not in replaced]

    def kept_leaving(self) -> list[HeldUpload]:
        staying = self.kept_staying()
        return [h for h in self.kept if h not in staying]

    def _clean_photo_total(self, *, required: bool, first_field: str, extra_field: str):
        # Remembered before add_error drops a field's photos from cleaned_data:
        # too many photos is no reason to lose the ones that passed.
        self._new_photos = self.new_photos()
        if any(name in self.errors for name in self.photo_fields):
            return
        total = len(self.kept_staying()) + len(self._new_photos)
        most = settings.PORTAL_MAX_PHOTOS
        if total == 0 and required:
            self.add_error(first_field, gettext("Please add at least one photo."))
        elif total > most:
            excess = total - most
            self.add_error(
                extra_field,
                gettext(
                    "You have %(total)s photos here; the clinic takes at most %(most)s. "
                    "Please remove %(excess)s (tick “Remove” next to a kept photo, or choose "
                    "fewer other photos)."
                )
                % {"total": total, "most": most, "excess": excess},
            )


def chosen_in(accepted: AcceptedPhoto, angle: str) -> AcceptedPhoto:
    """An accepted photo with the angle it was chosen for and the name shown back."""
    return AcceptedPhoto(
        upload=accepted.upload,
        facts=accepted.facts,
        angle=angle,
        name=truncatechars(accepted.upload.name or "photo", 60),
    )


def _photos_help_text(*, required: bool) -> str:
    """E.g. "Add 1 to 8 photos: JPEG, PNG, WebP, HEIC or AVIF, up to 20 MB each."."""
    most = settings.PORTAL_MAX_PHOTOS
    each = photo_size(settings.PORTAL_MAX_PHOTO_BYTES)
    values = {"most": most, "formats": ACCEPTED_FORMATS_TEXT, "each": each}
    if most == 1:
        if required:
            return gettext("Add 1 photo: %(formats)s, up to %(each)s.") % values
        return gettext("You can add 1 photo: %(formats)s, up to %(each)s.") % values
    if required:
        return gettext("Add 1 to %(most)s photos: %(formats)s, up to %(each)s each.") % values
    return gettext("You can add up to %(most)s photos: %(formats)s, up to %(each)s each.") % values


def _accepted_photos(uploads, *, single_file_clean) -> list[AcceptedPhoto]:
    """The uploads that are photos we take, or every reason, per file, why not."""
    max_photos = settings.PORTAL_MAX_PHOTOS
    max_bytes = settings.PORTAL_MAX_PHOTO_BYTES
    if len(uploads) > max_photos:
        raise forms.ValidationError(
            gettext("You chose %(count)s photos; please choose at most %(most)s.")
            % {"count": len(uploads), "most": max_photos}
        )
    errors = []
    accepted = []
    for upload in uploads:
        name = truncatechars(getattr(upload, "name", None) or gettext("photo"), 60)
        if getattr(upload, "size", None) == 0:
            # Django's own message ("The submitted file is empty.") names no file.
            errors.append(
                gettext(
                    "“%(name)s” is empty (0 bytes), so there is no photo in it. Please choose "
                    "the photo again, or export it from your photo app once more."
                )
                % {"name": name}
            )
            continue
        try:
            upload = single_file_clean(upload)
        except forms.ValidationError as invalid:
            errors.extend(
                gettext("“%(name)s”: %(message)s") % {"name": name, "message": message}
                for message in invalid.messages
            )
            continue
        if upload.size > max_bytes:
            errors.append(
                gettext("“%(name)s” is %(size)s; each photo may be at most %(most)s.")
                % {
                    "name": name,
                    "size": photo_size(upload.size, round_up=True),
                    "most": photo_size(max_bytes),
                }
            )
            continue
        try:
            facts = inspect_photo(upload, name=name, max_pixels=settings.PORTAL_MAX_PHOTO_PIXELS)
        except PhotoRejected as rejected:
            errors.append(str(rejected))
            continue
        accepted.append(AcceptedPhoto(upload=upload, facts=facts))
    if errors:
        raise PhotosPartlyRefused(errors, accepted=accepted)
    return accepted


class PhotosPartlyRefused(forms.ValidationError):
    """Some photos of one input were refused; ``accepted`` are the others."""

    def __init__(self, errors, *, accepted: list[AcceptedPhoto]):
        super().__init__(errors)
        self.accepted = accepted


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


# Numbers a text message can reach, or may (judged from the number alone):
# MOBILE; FIXED_LINE_OR_MOBILE, since the US, Canada and others number both
# kinds alike; VOIP and PERSONAL_NUMBER (internet and follow-me numbers often
# take texts); UNKNOWN, a range libphonenumber knows too little about, which
# is no reason to turn a patient away. If one of these cannot take texts
# after all, Twilio refuses it (21614) and staff see the text failed on the
# case page. Landlines, toll-free, premium-rate, shared-cost, pager, UAN and
# voicemail numbers cannot, so the patient is asked for another.
TEXTABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.UNKNOWN,
}
LANDLINE_FOR_TEXTS = _(
    "This looks like a landline, which can't receive text messages. Enter a mobile "
    "number, or choose email or a phone call."
)
NOT_TEXTABLE = _(
    "This number can't receive text messages. Enter a mobile number, or choose email "
    "or a phone call."
)


def text_message_problem(phone: PhoneNumber) -> "StrOrPromise | None":
    """Why texts cannot go to this (valid) number, or None if they can or may."""
    kind = number_type(phone)
    if kind in TEXTABLE:
        return None
    return LANDLINE_FOR_TEXTS if kind == PhoneNumberType.FIXED_LINE else NOT_TEXTABLE


def _age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


SLOT_ANGLES = {slot.angle for slot in SLOTS}


class ConsultationRequestForm(KeptPhotosMixin, forms.ModelForm):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    # Invisible to people (hidden by CSS, skipped by keyboard and screen
    # readers); bots that fill every field give themselves away.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    phone = PhoneNumberField(
        label=_("Phone number"),
        help_text=_(
            "Include your country code if you live outside the clinic's country, "
            "e.g. +44 20 7946 0958."
        ),
        error_messages={
            "invalid": _(
                "Please enter a phone number we can call, including the country code, "
                "e.g. +44 20 7946 0958."
            )
        },
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    # cast: the stubs want a str; a lazy one keeps the label in the page's language.
    country = CountryField(blank_label=cast(str, _("Choose your country"))).formfield(
        label=_("Country where you live"),
        help_text=_("Virtual care depends on where you are licensed to be seen."),
    )
    concerns = forms.MultipleChoiceField(
        label=_("Which areas concern you?"),
        choices=ConcernArea.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one area.")},
    )
    treatment_other_description = forms.CharField(
        label=_("Which other treatment?"), max_length=200, required=False
    )
    consent_privacy = forms.BooleanField(
        label=_("I have read the privacy notice."),
        error_messages={"required": _("Please confirm that you have read the privacy notice.")},
    )
    consent_photos = forms.BooleanField(
        label=_("I agree that the clinic stores my photos for medical evaluation."),
        error_messages={"required": _("We need your agreement to store photos for evaluation.")},
    )
    consent_contact = forms.BooleanField(
        label=_("I agree to be contacted about my request."),
        error_messages={"required": _("We need your agreement to contact you about your request.")},
    )
    # The guided slots are added in __init__ (photo_<angle>); this takes the rest.
    photos = MultiplePhotoField(
        label=_("Other photos"),
        required=False,
        help_text=lazy(lambda: _photos_help_text(required=True), str)(),
    )
    photo_fields = {
        **{f"photo_{slot.angle}": slot.angle for slot in SLOTS},
        "photos": PhotoAngle.OTHER,
    }

    class Meta:
        model = ConsultationRequest
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "preferred_contact",
            "date_of_birth",
            "country",
            "region",
            "symptoms",
            "goals",
        ]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "email": _("Email address"),
            "preferred_contact": _("How should we contact you?"),
            "date_of_birth": _("Date of birth"),
            "region": _("State, province or region"),
            "symptoms": _("What have you noticed, and since when?"),
            "goals": _("What would you like to achieve?"),
        }
        help_texts = {
            "email": _("We send your reference and a private status link here."),
            "date_of_birth": _("You must be 18 or older to request a consultation."),
            "symptoms": _(
                "For example hollowing under the eyes a few weeks after a laser "
                "treatment. Up to 4,000 characters."
            ),
            "goals": _("Up to 2,000 characters."),
        }
        widgets = {
            "preferred_contact": forms.RadioSelect,
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "symptoms": forms.Textarea(attrs={"rows": 6}),
            "goals": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        preferred_contact = self.fields["preferred_contact"]
        assert isinstance(preferred_contact, forms.ChoiceField)
        preferred_contact.choices = ContactMethod.choices
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["date_of_birth"].widget.attrs["autocomplete"] = "bday"
        self.fields["region"].widget.attrs["autocomplete"] = "address-level1"
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        for kind, label in TreatmentKind.choices:
            self.fields[f"treatment_{kind}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"treatment_{kind}_date"] = forms.DateField(
                label=gettext("When did you have %(treatment)s? (approximately)")
                % {"treatment": label},
                required=False,
                # Browsers without a month picker show a text box: the placeholder guides.
                widget=MonthInput(attrs={"placeholder": gettext("YYYY-MM")}),
                input_formats=["%Y-%m", "%m/%Y", "%Y-%m-%d"],
            )
        for slot in SLOTS:
            self.fields[f"photo_{slot.angle}"] = SlotPhotoField(
                label=slot.label, help_text=slot.advice
            )
        # The order the page shows the fields in, so the error summary follows the page.
        self.order_fields(
            [
                *self.Meta.fields[:8],
                "concerns",
                "symptoms",
                "goals",
                *(
                    f"treatment_{kind}{end}"
                    for kind in TreatmentKind.values
                    for end in ("", "_date")
                ),
                "treatment_other_description",
                *self.photo_fields,
                "consent_privacy",
                "consent_photos",
                "consent_contact",
            ]
        )

    def kept_other(self) -> list[HeldUpload]:
        return self.kept_in(PhotoAngle.OTHER)

    def photo_slots(self):
        """(slot, bound field, kept photos) for the template, in the page's order."""
        return [(slot, self[f"photo_{slot.angle}"], self.kept_in(slot.angle)) for slot in SLOTS]

    def treatment_rows(self):
        """(checkbox, date) bound-field pairs for the template, in a fixed order."""
        return [
            (self[f"treatment_{kind}"], self[f"treatment_{kind}_date"])
            for kind in TreatmentKind.values
        ]

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(gettext("Your date of birth cannot be in the future."))
        age = _age_on(born, today)
        if age < settings.PORTAL_MIN_AGE:
            raise forms.ValidationError(
                gettext(
                    "You must be 18 or older to request a consultation. "
                    "Please ask a parent or guardian to contact the clinic."
                )
            )
        if age > 120:
            raise forms.ValidationError(gettext("Please check the year of your date of birth."))
        return born

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        today = timezone.localdate()
        for kind, label in TreatmentKind.choices:
            ticked = cleaned.get(f"treatment_{kind}")
            when = cleaned.get(f"treatment_{kind}_date")
            if when and not ticked:
                self.add_error(
                    f"treatment_{kind}",
                    gettext("Tick “%(treatment)s” if you had it, or clear its date.")
                    % {"treatment": label},
                )
            if when and when > today:
                self.add_error(f"treatment_{kind}_date", gettext("This date is in the future."))
        phone = cleaned.get("phone")
        if phone and cleaned.get("preferred_contact") == ContactMethod.SMS:
            problem = text_message_problem(phone)
            if problem:
                # On the phone field, where the fix is; every answer stays as typed.
                self.add_error("phone", problem)
        if cleaned.get("treatment_other") and not cleaned.get("treatment_other_description"):
            self.add_error(
                "treatment_other_description", gettext("Please tell us which other treatment.")
            )
        self._clean_photo_total(
            required=True, first_field=f"photo_{SLOTS[0].angle}", extra_field="photos"
        )
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def treatments(self) -> list[TreatmentEntry]:
        cleaned = self.cleaned_data
        return [
            TreatmentEntry(
                kind=kind,
                approximate_date=(
                    cleaned[f"treatment_{kind}_date"].replace(day=1)
                    if cleaned[f"treatment_{kind}_date"]
                    else None
                ),
                other_description=(
                    cleaned["treatment_other_description"] if kind == TreatmentKind.OTHER else ""
                ),
            )
            for kind in TreatmentKind.values
            if cleaned.get(f"treatment_{kind}")
        ]


class PatientReplyForm(KeptPhotosMixin, forms.Form):
    """The patient's answer to a coordinator's question, through the status link."""

    photo_fields = {"photos": PhotoAngle.ADDED_LATER}

    # Which question this answers: a question takes one answer, whatever the
    # browser sends again later.
    question = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    photos = MultiplePhotoField(label=_("Add photos"), required=False)
    # Photos kept across an error are held against this key (uploads.held).
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        has_photos = self.kept_staying() or cleaned.get("photos")
        if not cleaned.get("answer") and not has_photos and not self.errors:
            raise forms.ValidationError(
                gettext("Please write an answer or add at least one photo.")
            )
        self._clean_photo_total(required=False, first_field="photos", extra_field="photos")
        return cleaned
