from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EraseForm(forms.Form):
    reference = forms.CharField(
        label=_("Type the case's reference to confirm"),
        max_length=20,
        help_text=_("E.g. CR-7K4M-Q2XP, as shown at the top of this page."),
    )
    reason = forms.CharField(
        label=_("Why is it erased?"),
        max_length=300,
        help_text=_(
            "Kept for good in the erasure record: no patient details, "
            "e.g. “patient's request by email of 2 December”."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_reference(self):
        typed = self.cleaned_data["reference"].strip().upper()
        if typed != self.expected:
            raise forms.ValidationError(gettext("This is not the reference of this case."))
        return typed
