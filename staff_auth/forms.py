"""allauth's second-factor forms with labels that say what to type."""

from allauth.mfa.base.forms import AuthenticateForm as BaseAuthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm as BaseActivateTOTPForm


class AuthenticateForm(BaseAuthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = "Code from your authenticator app"
        code.help_text = "Six digits. Without your phone, type one of your recovery codes."
        code.widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")


class ActivateTOTPForm(BaseActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = "Code from your authenticator app"
        code.help_text = "The six digits the app shows for this account."
        code.widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")
