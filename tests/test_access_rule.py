"""Every URL the resolver knows, for every kind of visitor: allowed or refused, and recorded.

``RULES`` classifies each URL name (``admin:*`` covers the whole admin). A
pattern it does not classify fails the test, so a new view cannot slip past
the access rule or the access log: add it here with the rule it follows.
"""

import re
import uuid
from dataclasses import dataclass
from importlib import import_module

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from consultations import case_changes
from consultations.kept_photos import HOLDER
from consultations.models import AccessRecord
from consultations.status_links import status_token
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes, jpeg_upload
from tests.photos import stored_photo
from tests.staff import administrator, coordinator, make_user, signed_in, surgeon
from uploads.held import upload_hold
from uploads.models import HeldUpload
from uploads.services import AcceptedPhoto, photo_process
from uploads.validation import inspect_photo

pytestmark = pytest.mark.django_db

# --- The classification: URL name -> rule -------------------------------------------

PUBLIC = "public"  # anyone; shows no patient information to staff, records nothing
PATIENT_LINK = "patient link"  # the patient's own case, through their private token
STAFF_HOME = "staff home"  # each role's start page: a redirect, no patient information
QUEUE = "queue"  # coordinators; a list of cases: one record listing them
MY_CASES = "my cases"  # surgeons; a list of their cases: one record listing them
CASE = "case"  # coordinators, and the surgeon it is routed to: one record
ERASE = "erase"  # a case's erasure page: coordinators only, one record
TAKE = "take"  # a coordinator makes a case theirs: coordinators only, one record
PHOTO = "photo"  # the same people as its case: one record
ADMIN = "admin"  # clinic administrators; no patient information, no record
# A photo the form's upload widget sent: only the browser session that sent it
# sees or removes it; for everyone else it is missing. Staff never see it here.
OWN_UPLOAD = "own upload"

RULES = {
    "consultations:request_new": PUBLIC,
    "consultations:request_another": PUBLIC,
    "consultations:received": PUBLIC,
    "consultations:status": PATIENT_LINK,
    "consultations:status_language": PATIENT_LINK,
    # The language switch (Django's set_language): a cookie, nothing else.
    "consultations:language": PUBLIC,
    "consultations:photo_upload": PUBLIC,
    "consultations:photo_remove": OWN_UPLOAD,
    "consultations:photo_preview": OWN_UPLOAD,
    # Signing in, the second factor, password reset (django-allauth): no
    # patient information; what each needs of a session is allauth's own.
    "account_*": PUBLIC,
    "mfa_*": PUBLIC,
    "staff:home": STAFF_HOME,
    "staff:queue": QUEUE,
    "staff:my_cases": MY_CASES,
    "staff:case_detail": CASE,
    "staff:case_compare": CASE,
    "staff:case_note": CASE,
    "staff:case_action": CASE,
    "staff:case_export_pdf": CASE,
    "staff:case_export_fhir": CASE,
    "staff:case_erase": ERASE,
    "staff:case_take": TAKE,
    "uploads:photo_rendition": PHOTO,
    # Sends everyone to the staff sign-in page: the one way in.
    "admin:login": PUBLIC,
    # Probes: ok or failing per component (database, cache, broker, storage),
    # nothing else: no hosts, no error texts, no patient information.
    "health_live": PUBLIC,
    "health_ready": PUBLIC,
    "admin:*": ADMIN,
    # Twilio's delivery reports for texts: refused (403) unless signed with the
    # auth token; shows nothing, records nothing (a GET is a 405).
    "notifications:sms_status": PUBLIC,
}

# Views that change something are exercised with an empty POST: for someone
# allowed that is the case page again with its errors (400), recorded.
POSTED = {
    "staff:case_note",
    "staff:case_action",
    "staff:case_take",
    "account_logout",
    "consultations:photo_upload",
    "consultations:photo_remove",
    "consultations:status_language",
    "consultations:language",
}

ACTORS = [
    "anonymous",
    "patient",
    "other patient",
    "coordinator",
    "routed surgeon",
    "other surgeon",
    "staff without a role",
    "inactive user",
    "administrator",
]
SIGNED_OUT = {"anonymous", "patient", "other patient", "inactive user"}

ALLOWED = {
    STAFF_HOME: {"coordinator", "routed surgeon", "other surgeon", "administrator"},
    QUEUE: {"coordinator"},
    MY_CASES: {"routed surgeon", "other surgeon"},
    CASE: {"coordinator", "routed surgeon"},
    ERASE: {"coordinator"},
    TAKE: {"coordinator"},
    PHOTO: {"coordinator", "routed surgeon"},
    ADMIN: {"administrator"},
}
RECORDED_WHEN_ALLOWED = {QUEUE, MY_CASES, CASE, ERASE, TAKE, PHOTO}
HIDDEN_AS_MISSING = {CASE, ERASE, TAKE, PHOTO}  # refused with the same 404 as a missing one

PATIENT = {"first_name": "Zephyrine", "last_name": "Quillfeather", "email": "zq@patient.example"}


def rule_for(name: str) -> str | None:
    if name in RULES:
        return RULES[name]
    if ":" in name:
        return RULES.get(name.split(":", 1)[0] + ":*")
    return RULES.get(name.split("_", 1)[0] + "_*")


# --- Walking the resolver -----------------------------------------------------------


@dataclass
class Route:
    name: str  # "namespace:name", or "namespace:<route>" for an unnamed pattern
    template: str  # the URL with {parameter} placeholders


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _template(fragment: str) -> str:
    fragment = fragment.removeprefix("^").removesuffix("$").replace("\\", "")
    return PARAMETER.sub(lambda m: "{" + (m.group(1) or m.group(2)) + "}", fragment)


def walk(resolver=None, prefix="/", namespace="") -> list[Route]:
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        fragment = _template(str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            routes += walk(pattern, prefix + fragment, inner)
        elif isinstance(pattern, URLPattern):
            local = pattern.name or f"<{fragment}>"
            routes.append(Route(f"{namespace}:{local}" if namespace else local, prefix + fragment))
    return routes


# --- The world: one case routed to a surgeon, with a photo -----------------------------


@pytest.fixture
def world(private_root):
    coordinator_user = coordinator()
    routed = surgeon("routed")
    case = ConsultationRequestFactory(**PATIENT)
    case = case_changes.consultation_route(
        consultation=case, by=coordinator_user, surgeon=routed, note="", version=case.version
    )
    photo = stored_photo(image_bytes("JPEG", (640, 480)), consultation=case)
    photo_process(photo_id=photo.id)
    other_case = ConsultationRequestFactory()
    users = {
        "coordinator": coordinator_user,
        "routed surgeon": routed,
        "other surgeon": surgeon("other"),
        "staff without a role": make_user("norole", is_staff=True),
        "inactive user": make_user("inactive", is_staff=True),
        "administrator": administrator(),
    }
    # Each person signs in once (both factors); every request reuses the
    # session, as a browser would. The inactive user was deactivated after
    # signing in: their session must open nothing.
    sessions = {actor: _session_of(user) for actor, user in users.items()}
    users["inactive user"].is_active = False
    users["inactive user"].save(update_fields=["is_active"])
    patient_session = import_module(settings.SESSION_ENGINE).SessionStore()
    patient_session[HOLDER] = "the-patients-browser"
    patient_session.create()
    return {
        "case": case,
        "photo": photo,
        "other_case": other_case,
        "users": users,
        "sessions": sessions,
        "patient_session": patient_session.session_key,
        "held": hold_for_the_patient(),
    }


def hold_for_the_patient(held_id: uuid.UUID | None = None) -> HeldUpload:
    held = upload_hold(
        holder="the-patients-browser",
        submission_key=uuid.uuid4(),
        photo=AcceptedPhoto(
            upload=jpeg_upload(), facts=inspect_photo(jpeg_upload(), name="x", max_pixels=10**8)
        ),
    )
    if held_id is not None:
        HeldUpload.objects.filter(pk=held.pk).update(id=held_id)
    return held


def _session_of(user) -> str:
    return signed_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value


def client_for(actor: str, world, route: Route | None = None) -> Client:
    client = Client(HTTP_USER_AGENT="walker/1.0")
    if actor == "patient":
        client.cookies[settings.SESSION_COOKIE_NAME] = world["patient_session"]
    if actor not in world["users"]:
        return client
    user = world["users"][actor]
    if route is not None and route.name == "account_logout" and user.is_active:
        # Signing out ends the session: a session of its own.
        return signed_in(client, user)
    client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][actor]
    return client


def values(route: Route, world, *, actor: str, missing: bool = False) -> dict:
    """The parameters of a URL: the world's case and photo, or ones that do not exist."""
    case, photo = world["case"], world["photo"]
    model_match = re.match(r"/admin/(\w+)/(\w+)/", route.template)
    object_id = "1"
    if model_match and model_match.group(1) in {c.label for c in apps.get_app_configs()}:
        try:
            model = apps.get_model(*model_match.groups())
            first = model.objects.order_by("pk").first()
            object_id = str(first.pk) if first else "1"
        except LookupError:
            pass
    if actor == "patient":
        token = status_token(case)
    elif actor == "other patient":
        token = status_token(world["other_case"])
    else:
        token = "forged-token"
    return {
        "reference": "CR-2222-2222" if missing else case.reference,
        "photo_id": str(uuid.UUID(int=0)) if missing else str(photo.id),
        "rendition": "display",
        "action": "start_triage",
        "token": token,
        "app_label": "consultations",
        "object_id": object_id,
        "id": object_id,
        "content_type_id": str(ContentType.objects.get_for_model(type(case)).pk),
        "url": "no-such-page/",
        # allauth's emailed links (password reset), and its passkeys.
        "uidb36": "1",
        "key": "not-a-key",
        "pk": "1",
        "held_id": str(world["held"].pk),
        "notification_id": "1",
    }


def request(client: Client, route: Route, url: str):
    bare = route.name.split(":<", 1)[0]
    if route.name in POSTED or bare in POSTED:
        return client.post(url, {})
    return client.get(url)


def assert_no_patient_information(response, where):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for value in PATIENT.values():
        assert value.encode() not in body, f"{where}: shows {value}"


# --- The test ------------------------------------------------------------------------


def test_every_url_is_classified_and_follows_its_rule_for_every_actor(world):
    routes = walk()
    unclassified = [route.name for route in routes if rule_for(route.name) is None]
    assert not unclassified, f"classify these URL patterns in RULES: {unclassified}"

    for route in routes:
        rule = rule_for(route.name)
        for actor in ACTORS:
            where = f"{route.name} as {actor}"
            client = client_for(actor, world, route)
            url = route.template.format(**values(route, world, actor=actor))
            before = AccessRecord.objects.count()
            response = request(client, route, url)
            records = list(AccessRecord.objects.order_by("pk")[before:])
            assert response.status_code < 500, where

            if rule == PUBLIC:
                assert_no_patient_information(response, where)
                assert not records, where
                continue
            if rule == PATIENT_LINK:
                check_patient_link(response, actor, where, route)
                assert not records, where
                continue
            if rule == OWN_UPLOAD:
                check_own_upload(response, actor, route, world, where)
                assert not records, where
                continue
            if rule == ADMIN or actor not in ALLOWED[rule]:
                # Nothing from the admin shows a patient's details, to anyone.
                assert_no_patient_information(response, where)

            if actor in SIGNED_OUT:
                assert response.status_code == 302, where
                # To sign in (the admin's login page sends on to the staff one).
                location = response["Location"]
                assert location.startswith(("/staff/sign-in/", "/admin/")), where
                assert not records, where
            elif actor in ALLOWED[rule]:
                assert "/sign-in/" not in response.get("Location", ""), where
                if rule in RECORDED_WHEN_ALLOWED:
                    assert len(records) == 1, f"{where}: {len(records)} records"
                    check_record(records[0], response, actor, world, route)
                else:
                    assert not records, where
            else:
                assert len(records) == 1 and records[0].outcome == "denied", where
                assert records[0].user == world["users"][actor], where
                if rule in HIDDEN_AS_MISSING:
                    assert response.status_code == 404, where
                    missing_url = route.template.format(
                        **values(route, world, actor=actor, missing=True)
                    )
                    missing = request(client_for(actor, world, route), route, missing_url)
                    assert (missing.status_code, missing.content) == (
                        response.status_code,
                        response.content,
                    ), f"{where}: forbidden and missing differ"
                else:
                    assert response.status_code == 403, where


def check_record(record, response, actor, world, route):
    where = f"{route.name} as {actor}"
    assert record.outcome == "shown", where
    assert record.user == world["users"][actor], where
    assert record.status_code == response.status_code, where
    assert record.view == route.name, where
    assert record.ip_address == "127.0.0.1", where
    assert record.user_agent == "walker/1.0", where
    rule = rule_for(route.name)
    if rule in (CASE, ERASE, TAKE, PHOTO):
        assert (record.case_id, record.reference) == (world["case"].pk, world["case"].reference)
    if rule == PHOTO:
        assert record.photo_id == world["photo"].id, where
    if rule in (QUEUE, MY_CASES):
        # The record lists what the page showed: the case only to whom may see it.
        listed = world["case"].reference in record.listed.split()
        assert listed == (actor in ALLOWED[CASE]), where


def check_own_upload(response, actor, route, world, where):
    held_id = world["held"].pk
    removing = route.name == "consultations:photo_remove"
    if actor != "patient":
        # A removal of someone else's photo says nothing and does nothing.
        assert response.status_code == (204 if removing else 404), where
        assert HeldUpload.objects.filter(pk=held_id).exists(), where
    elif removing:
        assert response.status_code == 204, where
        assert not HeldUpload.objects.filter(pk=held_id).exists(), where
        hold_for_the_patient(held_id)
    else:
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg", where


def check_patient_link(response, actor, where, route):
    if route.name == "consultations:status_language" and actor in ("patient", "other patient"):
        # The switch sends the patient back to their own status page.
        assert response.status_code == 302, where
        assert response["Location"].startswith("/status/"), where
    elif actor == "patient":
        assert response.status_code == 200, where
    elif actor == "other patient":
        # Their own page, with nothing of the case under test.
        assert response.status_code == 200, where
        assert_no_patient_information(response, where)
    else:
        assert response.status_code == 404, where


def test_the_walk_reaches_the_admin_and_every_staff_view():
    names = {route.name for route in walk()}
    assert {"admin:index", "admin:consultations_consultationrequest_change"} <= names
    assert {name for name, rule in RULES.items() if not name.endswith("*")} <= names
