"""axe-core, injected into each page in Chromium, finds no accessibility violations."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from consultations.status_links import status_path
from tests.conftest import service_missing
from tests.factories import ConsultationRequestFactory
from tests.staff import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture
def axe_script():
    if not AXE.exists():
        service_missing("axe-core", f"{AXE} missing (npm ci)")
    return str(AXE)


def violations(page, axe_script) -> list[dict]:
    page.add_script_tag(path=axe_script)
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
    ]


def assert_accessible(page, axe_script):
    found = violations(page, axe_script)
    assert found == [], json.dumps(found, indent=1)


@pytest.mark.parametrize("width", WIDTHS)
def test_patient_pages(live_server, chromium, axe_script, width):
    # bypass_csp: the page allows no inline script, and axe is injected as one.
    context = chromium.new_context(viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert_accessible(page, axe_script)

    page.get_by_role("button", name="Send my request").click()
    page.get_by_text("Please check").first.wait_for()
    assert_accessible(page, axe_script)

    case = ConsultationRequestFactory()
    page.goto(live_server.url + status_path(case))
    assert_accessible(page, axe_script)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_pages(live_server, chromium, axe_script, coordinator_user, width):
    case = ConsultationRequestFactory()
    # bypass_csp: the page allows no inline script, and axe is injected as one.
    context = chromium.new_context(viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + reverse("staff:login"))
    assert_accessible(page, axe_script)
    page.get_by_label("Username").fill(coordinator_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Requests").wait_for()
    assert_accessible(page, axe_script)
    page.goto(live_server.url + reverse("staff:case_detail", args=[case.reference]))
    assert_accessible(page, axe_script)
    context.close()
