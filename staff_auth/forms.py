"""allauth's second-factor forms with labels that say what to type."""

from allauth.mfa.base.forms import AuthenticateForm as BaseAuthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTPForm
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


def _label_code_field(form, help_text: StrOrPromise) -> None:
    code = form.fields["code"]
    code.label = _("Code from your authenticator app")
    code.help_text = help_text
    # Phones offer the code from a message or the keychain, on a number pad.
    code.widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")


class AuthenticateForm(BaseAuthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_code_field(
            self, _("Six digits. Without your phone, type one of your recovery codes.")
        )


class ActivateTOTPForm(BaseActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_code_field(self, _("The six digits the app shows for this account."))
