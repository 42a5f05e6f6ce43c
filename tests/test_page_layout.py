"""Every page, at phone and desktop widths, in Chromium: room around the first
heading and the footer, nothing wider than the screen, no axe violations.
Screenshots go to test-artifacts/pages/ to be looked at."""

from pathlib import Path

import pytest
from django.urls import reverse

from consultations import case_services
from consultations.error_views import server_error
from consultations.models import Outcome, Status
from consultations.status_links import status_path
from tests.factories import ConsultationRequestFactory
from tests.images import image_bytes
from tests.photos import stored_photo
from tests.staff import PASSWORD
from tests.staff import coordinator as make_coordinator
from tests.test_accessibility import WIDTHS, assert_accessible, axe_script  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "pages"

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


def check(page, axe_script, name: str, width: str):  # noqa: F811
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    found = page.evaluate(MEASURE)
    assert found["aboveHeading"] >= 16, (name, found)
    assert found["aboveFooter"] >= 16, (name, found)
    assert found["overflow"] <= 0, (name, found)
    assert_accessible(page, axe_script)


def send_photos(page, count: int, tmp_path):
    files = []
    for i in range(count):
        path = tmp_path / f"photo{i}.jpg"
        path.write_bytes(image_bytes(size=(64, 48)))
        files.append(str(path))
    page.locator("#id_photos").set_input_files(files)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", WIDTHS)
def test_patient_pages(live_server, chromium, axe_script, settings, tmp_path, width):  # noqa: F811
    coordinator = make_coordinator("cleo")
    context = chromium.new_context(viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    base = live_server.url

    page.goto(base + "/")
    check(page, axe_script, "form", width)
    page.get_by_role("button", name="Send my request").click()
    page.get_by_text("Please check").first.wait_for()
    check(page, axe_script, "form-errors", width)

    def triaged():
        return case_services.consultation_start_triage(
            consultation=ConsultationRequestFactory(), by=coordinator, version=None
        )

    asked = case_services.consultation_request_info(
        consultation=triaged(), by=coordinator, question="Please add a side photo.", version=None
    )
    cases = {
        "status-submitted": ConsultationRequestFactory(),
        "status-in_triage": triaged(),
        "status-awaiting": asked,
        "status-routed": ConsultationRequestFactory(status=Status.ROUTED),
        "status-reviewed": ConsultationRequestFactory(status=Status.REVIEWED),
        "status-closed": case_services.consultation_close(
            consultation=triaged(),
            by=coordinator,
            outcome=Outcome.NO_RESPONSE,
            note="",
            version=None,
        ),
        "status-spam": ConsultationRequestFactory(status=Status.SPAM),
        "status-duplicate": ConsultationRequestFactory(
            status=Status.DUPLICATE, duplicate_of=ConsultationRequestFactory()
        ),
    }
    for name, case in cases.items():
        page.goto(base + status_path(case))
        check(page, axe_script, name, width)

    page.goto(base + status_path(asked))
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("Please check").first.wait_for()
    check(page, axe_script, "status-awaiting-errors", width)

    page.goto(base + "/no-such-page/")
    check(page, axe_script, "404", width)

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    page.goto(base + "/")
    send_photos(page, 3, tmp_path)
    check(page, axe_script, "400-too-many-files", width)

    settings.PORTAL_MAX_REQUEST_BYTES = 1_000
    page.goto(base + "/")
    send_photos(page, 1, tmp_path)
    check(page, axe_script, "413", width)

    # A 500 cannot be caused on purpose: serve what the handler renders.
    html = server_error(None).content
    page.route(
        base + "/broken/",
        lambda route: route.fulfill(status=500, body=html, content_type="text/html; charset=utf-8"),
    )
    page.goto(base + "/broken/")
    check(page, axe_script, "500", width)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_pages(
    live_server,
    chromium,
    axe_script,  # noqa: F811 (the fixture imported above)
    coordinator_user,
    surgeon_user,
    width,
):
    case = case_services.consultation_start_triage(
        consultation=ConsultationRequestFactory(), by=coordinator_user, version=None
    )
    for _ in range(2):
        stored_photo(image_bytes(), request=case)
    for _ in range(30):
        ConsultationRequestFactory()
    routed = case_services.consultation_route(
        consultation=ConsultationRequestFactory(),
        by=coordinator_user,
        surgeon=surgeon_user,
        note="",
        version=None,
    )
    context = chromium.new_context(viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    base = live_server.url

    def sign_in(user):
        page.goto(base + reverse("staff:login"))
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    page.goto(base + reverse("staff:login"))
    check(page, axe_script, "staff-login", width)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    check(page, axe_script, "staff-login-errors", width)

    sign_in(coordinator_user)
    page.get_by_role("heading", name="Requests").wait_for()
    check(page, axe_script, "queue", width)
    page.goto(base + reverse("staff:case_detail", args=[case.reference]))
    check(page, axe_script, "case", width)
    page.locator(".action--mark_duplicate").get_by_role("button").click()
    page.wait_for_load_state()
    check(page, axe_script, "case-errors", width)
    page.goto(base + reverse("staff:case_compare", args=[case.reference]))
    check(page, axe_script, "compare", width)
    page.goto(base + reverse("staff:my_cases"))
    check(page, axe_script, "403", width)

    page.context.clear_cookies()
    sign_in(surgeon_user)
    page.goto(base + reverse("staff:my_cases") + "?show=all")
    assert routed.reference in page.content()
    check(page, axe_script, "my-cases", width)
    context.close()
