"""Security events: who signed in, failed, was locked out, enrolled a factor.

Ids only: a user's id and username (an account's own name, not what a
stranger typed), the client's address and user agent, never a password or
anything about a patient. Rows are append-only in PostgreSQL (see Meta).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.append_only import append_only_triggers


class SecurityEvent(models.Model):
    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        SIGN_OUT = "sign_out", _("Signed out")
        MFA_ENROLLED = "mfa_enrolled", _("Second factor added")
        MFA_REMOVED = "mfa_removed", _("Second factor removed")
        MFA_FAILED = "mfa_failed", _("Second factor refused")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        SESSION_EXPIRED = "session_expired", _("Session reached its lifetime")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        PASSWORD_RESET = "password_reset", _("Password reset")
        PASSWORD_CHANGED = "password_changed", _("Password changed")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # No foreign key: an event outlives the account and never cascades.
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "user_id", "at"])]
        triggers = append_only_triggers("the security event log")

    def __str__(self):
        return f"{self.get_kind_display()} {self.username or '-'} {self.at:%Y-%m-%d %H:%M}"
