"""axe-core, injected into each page in Chromium, finds no accessibility violations
on the portal as the clinic runs it."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from consultations.status_links import status_path
from tests.browser import DESK, PHONE, Person, sign_in
from tests.conftest import service_missing
from tests.factories import ConsultationRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": PHONE, "desktop": DESK}


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


@pytest.fixture(params=WIDTHS)
def visitor(request, portal, chromium):
    # bypass_csp: the pages allow no inline script, and axe is injected as one.
    person = Person(chromium, portal.url, "axe", WIDTHS[request.param], bypass_csp=True)
    yield person
    person.close()


def test_patient_pages(visitor, axe_script):
    page = visitor.page
    page.goto("/")
    assert_accessible(page, axe_script)

    page.get_by_role("button", name="Send my request").click()
    page.get_by_text("Please check").first.wait_for()
    assert_accessible(page, axe_script)

    case = ConsultationRequestFactory()
    page.goto(status_path(case))
    assert_accessible(page, axe_script)


def test_staff_pages(visitor, axe_script, coordinator_user):
    case = ConsultationRequestFactory()
    page = visitor.page
    page.goto(reverse("staff:login"))
    assert_accessible(page, axe_script)
    sign_in(visitor, coordinator_user.username)
    page.get_by_role("heading", name="Requests").wait_for()
    assert_accessible(page, axe_script)
    page.goto(reverse("staff:case_detail", args=[case.reference]))
    assert_accessible(page, axe_script)
