from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import ConcernArea, Outcome, Recommendation, SavedReply
from .selectors import (
    PATIENT_AGE_BUCKETS,
    STATUS_TABS,
    WAITING_BUCKETS,
    QueueFilters,
    reference_from_text,
)


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        help_text=_("Reference, name, email or phone"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Set by the tabs; the form carries it so that a change of filter keeps the tab.
    status = forms.ChoiceField(
        required=False,
        choices=[("", _("All")), *[(key, tab[0]) for key, tab in STATUS_TABS.items()]],
        widget=forms.HiddenInput,
    )
    mine = forms.BooleanField(label=_("Only cases I have taken"), required=False)
    concern = forms.ChoiceField(
        label=_("Area of concern"),
        required=False,
        choices=[("", _("Any area")), *ConcernArea.choices],
    )
    surgeon = forms.TypedChoiceField(
        label=_("Surgeon"), required=False, coerce=int, empty_value=None
    )
    waiting = forms.ChoiceField(
        label=_("Waiting"),
        required=False,
        choices=[("", _("Any time")), *[(key, v[0]) for key, v in WAITING_BUCKETS.items()]],
    )
    patient_age = forms.ChoiceField(
        label=_("Patient's age"),
        required=False,
        choices=[("", _("Any age")), *[(key, v[0]) for key, v in PATIENT_AGE_BUCKETS.items()]],
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("Newest first")), ("oldest", _("Oldest first"))],
    )

    def __init__(self, *args, surgeons=(), **kwargs):
        super().__init__(*args, **kwargs)
        surgeon = self.fields["surgeon"]
        assert isinstance(surgeon, forms.ChoiceField)
        surgeon.choices = [
            ("", _("Any surgeon")),
            *[(s.pk, s.get_full_name() or s.username) for s in surgeons],
        ]

    def filters(self, *, viewer) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            status=data["status"],
            concern=data["concern"],
            surgeon=data["surgeon"],
            waiting=data["waiting"],
            patient_age=data["patient_age"],
            q=data["q"],
            oldest_first=data["order"] == "oldest",
            taken_by=viewer.pk if data["mine"] else None,
        )


class VersionedForm(forms.Form):
    """Carries the case version the person saw, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SavedReplySelect(forms.Select):
    """Each option carries its question, for static/js/saved-replies.js to fill in."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["data-question"] = value.instance.question
        return option


class RequestInfoForm(VersionedForm):
    saved_reply = forms.ModelChoiceField(
        widget=SavedReplySelect,
        label=_("Start from a saved question"),
        required=False,
        queryset=SavedReply.objects.filter(active=True),
        empty_label=_("None: write your own"),
        help_text=_("Picking one fills in the question below, to change as you need."),
    )
    question = forms.CharField(
        label=_("What do you need from the patient?"),
        help_text=_("The patient reads this on their status page. Do not include internal notes."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_reply"].widget.attrs["data-fills"] = self["question"].auto_id

    def clean(self):
        super().clean()
        data = self.cleaned_data
        # Without JavaScript nothing fills the box in: the saved question is
        # asked as it stands.
        if not data.get("question") and data.get("saved_reply"):
            data["question"] = data["saved_reply"].question
        if not data.get("question") and "question" not in self.errors:
            self.add_error("question", gettext("Write a question, or pick a saved one."))
        return data


class SurgeonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class RouteForm(VersionedForm):
    # The active surgeons are given to each form (case_changes.active_surgeons).
    surgeon = SurgeonChoiceField(
        label=_("Surgeon"), queryset=User.objects.none(), empty_label=_("Choose…")
    )
    note = forms.CharField(
        label=_("Note for the surgeon"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, surgeons, **kwargs):
        super().__init__(*args, **kwargs)
        surgeon = self.fields["surgeon"]
        assert isinstance(surgeon, forms.ModelChoiceField)
        surgeon.queryset = surgeons


class ReviewForm(VersionedForm):
    recommendation = forms.ChoiceField(
        label=_("Recommendation"), choices=Recommendation.choices, widget=forms.RadioSelect
    )
    assessment = forms.CharField(
        label=_("Assessment"), max_length=6000, widget=forms.Textarea(attrs={"rows": 6})
    )


class CloseForm(VersionedForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("Choose…")), *Outcome.choices])
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SimpleActionForm(VersionedForm):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DuplicateForm(VersionedForm):
    original_reference = forms.CharField(
        label=_("Reference of the original request"), max_length=20
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=4000)

    def clean_original_reference(self):
        typed = self.cleaned_data["original_reference"]
        reference = reference_from_text(typed)
        if reference is None:
            raise forms.ValidationError(
                gettext("“%(typed)s” is not a reference: it looks like CR-7K4M-Q2XP.")
                % {"typed": typed.strip()}
            )
        return reference
