"""The one way to record a security event."""

from common.network import client_address

from .models import SecurityEvent

Kind = SecurityEvent.Kind


def security_event_record(kind: str, *, request=None, user=None, detail: str = "") -> SecurityEvent:
    """Append one event. ``detail`` is for fixed wording or ids, never typed input."""
    address = agent = None
    if request is not None:
        address = client_address(request)
        agent = request.META.get("HTTP_USER_AGENT", "")
    real_user = user if user is not None and getattr(user, "pk", None) else None
    return SecurityEvent.objects.create(
        kind=kind,
        user_id=real_user.pk if real_user else None,
        username=real_user.get_username() if real_user else "",
        client_address=address,
        user_agent=(agent or "")[:300],
        detail=detail[:200],
    )
