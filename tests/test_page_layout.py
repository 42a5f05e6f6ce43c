"""Every page, at phone and desktop widths, in Chromium on the portal as the clinic
runs it: room around the first heading and the footer, nothing wider than the
screen, no axe-core accessibility violations. Screenshots go to
test-artifacts/pages/ to be looked at."""

import datetime
import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations import case_changes
from consultations.error_views import server_error
from consultations.models import ConsultationRequest, Outcome, Status
from consultations.status_links import status_path
from tests.browser import DESK, PHONE, TABLET, Person, assert_accessible, sign_in
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import coordinator as make_coordinator

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "pages"
WIDTHS = {"phone": PHONE, "desktop": DESK}
# The staff pages are also used on a tablet.
STAFF_WIDTHS = {**WIDTHS, "tablet": TABLET}

MEASURE = """() => {
  const header = document.querySelector('.site-header').getBoundingClientRect();
  const footer = document.querySelector('.site-footer').getBoundingClientRect();
  const heading = document.querySelector('main h1').getBoundingClientRect();
  const main = document.querySelector('main');
  const last = main.lastElementChild.getBoundingClientRect();
  return {
    aboveHeading: heading.top - header.bottom,
    aboveFooter: footer.top - last.bottom,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
}"""


@pytest.fixture(params=WIDTHS)
def visitor(request, portal, chromium):
    # bypass_csp: the pages allow no inline script, and axe is injected as one.
    person = Person(chromium, portal.url, "pages", STAFF_WIDTHS[request.param], bypass_csp=True)
    person.width = request.param
    yield person
    person.close()


def check(page, axe_script, name: str, width: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    found = page.evaluate(MEASURE)
    assert found["aboveHeading"] >= 16, (name, found)
    assert found["aboveFooter"] >= 16, (name, found)
    assert found["overflow"] <= 0, (name, found)
    assert_accessible(page, axe_script)


def too_many_files_page(base_url: str) -> bytes:
    """The server's own 400 page for one file more than it parses
    (DATA_UPLOAD_MAX_NUMBER_FILES, 4 x 8). The form's photo widget sends
    photos one by one, so a page can no longer post that many: send them here."""
    boundary = "portal-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
        f'filename="photo{i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + image_bytes(size=(64, 48))
        + b"\r\n"
        for i in range(33)
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request(
        "POST", "/", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    response = connection.getresponse()
    assert response.status == 400
    return response.read()


def over_limit_page(base_url: str) -> bytes:
    """The server's own 413 page: a request declaring more than any submission
    may carry is refused before its body is read, so none need be sent."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.putrequest("POST", "/")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(10**10))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    return response.read()


def serve(status: int, html: bytes):
    def handler(route):
        route.fulfill(status=status, body=html, content_type="text/html; charset=utf-8")

    return handler


def test_patient_pages(visitor, axe_script):
    page, width = visitor.page, visitor.width
    coordinator = make_coordinator("cleo")

    page.goto("/")
    check(page, axe_script, "form", width)
    page.get_by_role("button", name="Send my request").click()
    page.get_by_text("Please check").first.wait_for()
    check(page, axe_script, "form-errors", width)

    def triaged():
        case = ConsultationRequestFactory()
        return case_changes.consultation_start_triage(
            consultation=case, by=coordinator, version=case.version
        )

    in_triage = triaged()
    asked = case_changes.consultation_request_info(
        consultation=in_triage,
        by=coordinator,
        question="Please add a side photo.",
        version=in_triage.version,
    )
    to_close = triaged()
    cases = {
        "status-submitted": ConsultationRequestFactory(),
        "status-in_triage": triaged(),
        "status-awaiting": asked,
        "status-routed": ConsultationRequestFactory(status=Status.ROUTED),
        "status-reviewed": ConsultationRequestFactory(status=Status.REVIEWED),
        "status-closed": case_changes.consultation_close(
            consultation=to_close,
            by=coordinator,
            outcome=Outcome.NO_RESPONSE,
            note="",
            version=to_close.version,
        ),
        "status-link-ended": ConsultationRequestFactory(erased_at=timezone.now()),
        "status-spam": ConsultationRequestFactory(status=Status.SPAM),
        "status-duplicate": ConsultationRequestFactory(
            status=Status.DUPLICATE, duplicate_of=ConsultationRequestFactory()
        ),
    }
    for name, case in cases.items():
        page.goto(status_path(case))
        check(page, axe_script, name, width)

    page.goto(status_path(asked))
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("Please check").first.wait_for()
    check(page, axe_script, "status-awaiting-errors", width)

    with visitor.expect_status(404):
        page.goto("/no-such-page/")
    check(page, axe_script, "404", width)

    # What the servers answer cannot all be caused from a page (a 500 on
    # purpose, a body of gigabytes, more files than the widget ever sends at
    # once): serve their real output to the browser.
    for name, status, html in [
        ("400-too-many-files", 400, too_many_files_page(visitor.base_url)),
        ("413", 413, over_limit_page(visitor.base_url)),
        ("500", 500, server_error(None).content),
    ]:
        page.route(f"**/{name}-page/", serve(status, html))
        with visitor.expect_status(status):
            page.goto(f"/{name}-page/")
        check(page, axe_script, name, width)


@pytest.mark.parametrize("visitor", STAFF_WIDTHS, indirect=True)
def test_staff_pages(visitor, axe_script, coordinator_user, surgeon_user):
    page, width = visitor.page, visitor.width
    case = ConsultationRequestFactory()
    case = case_changes.consultation_start_triage(
        consultation=case, by=coordinator_user, version=case.version
    )
    for _ in range(2):
        stored_photo(image_bytes(), consultation=case)
    for _ in range(30):
        ConsultationRequestFactory()
    to_route = ConsultationRequestFactory()
    routed = case_changes.consultation_route(
        consultation=to_route,
        by=coordinator_user,
        surgeon=surgeon_user,
        note="",
        version=to_route.version,
    )
    # An overdue case someone took, and one the patient has just answered.
    overdue = ConsultationRequestFactory()
    ConsultationRequest.objects.filter(pk=overdue.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )
    case_changes.consultation_take(consultation=overdue, by=coordinator_user)
    to_ask = ConsultationRequestFactory()
    asked = case_changes.consultation_request_info(
        consultation=to_ask, by=coordinator_user, question="?", version=to_ask.version
    )
    case_changes.consultation_patient_reply(
        consultation=asked,
        question_id=asked.information_requests.get().pk,
        answer="Here.",
        photos=[],
    )

    page.goto(reverse("account_login"))
    check(page, axe_script, "staff-login", width)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    check(page, axe_script, "staff-login-errors", width)

    sign_in(visitor, coordinator_user.username)
    page.get_by_role("heading", name="Requests").wait_for()
    check(page, axe_script, "queue", width)
    # A filter applies as soon as it changes (static/js/queue-filters.js).
    page.get_by_label("Area of concern").select_option("cheeks")
    page.wait_for_url("**concern=cheeks**")
    page.get_by_role("link", name="Needs triage").click()
    page.wait_for_url("**status=triage**")
    check(page, axe_script, "queue-filtered", width)
    page.goto(reverse("staff:case_detail", args=[case.reference]))
    check(page, axe_script, "case", width)
    duplicate = page.locator(".action--mark_duplicate")
    duplicate.locator("summary").click()
    duplicate.get_by_label("Reference of the original request").fill("not a reference")
    with visitor.expect_status(400):
        duplicate.get_by_role("button").click()
    page.get_by_text("is not a reference").first.wait_for()
    check(page, axe_script, "case-errors", width)
    page.goto(reverse("staff:case_compare", args=[case.reference]))
    check(page, axe_script, "compare", width)
    page.goto(reverse("staff:case_erase", args=[case.reference]))
    check(page, axe_script, "erase", width)
    page.get_by_label("Type the case's reference to confirm").fill("CR-2222-2222")
    page.get_by_label("Why is it erased?").fill("Patient's request")
    with visitor.expect_status(400):
        page.get_by_role("button", name=f"Erase {case.reference} for good").click()
    page.get_by_text("not the reference of this case").first.wait_for()
    check(page, axe_script, "erase-errors", width)
    with visitor.expect_status(403):
        page.goto(reverse("staff:my_cases"))
    check(page, axe_script, "403", width)

    visitor.context.clear_cookies()
    sign_in(visitor, surgeon_user.username)
    page.goto(reverse("staff:my_cases") + "?show=all")
    assert routed.reference in page.content()
    check(page, axe_script, "my-cases", width)
