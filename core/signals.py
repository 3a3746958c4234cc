"""Authentication events go to the audit log (brief: logins, failed logins, MFA changes)."""

from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record("auth.login", actor=user, obj=user, object_id=str(user.pk))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record("auth.logout", actor=user, obj=user, object_id=str(user.pk))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never store the attempted password; the e-mail address is what was typed.
    typed = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit_record("auth.login_failed", actor=typed, extra={"email": typed})


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender, request, user, authenticator, **kwargs):
    audit_record("mfa.added", actor=user, extra={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    audit_record("mfa.removed", actor=user, extra={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset)
def _mfa_reset(sender, request, user, authenticator, **kwargs):
    audit_record("mfa.reset", actor=user, extra={"type": authenticator.type})
