"""In Chromium, on the production server: the case page names the coordinators
who opened it; an administrator reads the admin (no patient details) and the
access log, at a phone's width and a desk's."""

import pytest

from consultations import case_changes
from tests.browser import DESK, PHONE, Person, sign_in
from tests.factories import ConsultationRequestFactory
from tests.staff import administrator, coordinator, surgeon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", [PHONE, DESK], ids=["390px", "1366px"])
def test_case_viewers_and_the_administrators_admin(chromium, portal, device):
    casey = coordinator("casey")
    casey.first_name, casey.last_name = "Casey", "Reader"
    casey.save()
    administrator("ada")
    case = ConsultationRequestFactory(first_name="Zephyrine")
    case = case_changes.consultation_route(
        consultation=case,
        by=casey,
        surgeon=surgeon("sam"),
        note="",
        version=case.version,
    )
    case_url = f"/staff/cases/{case.reference}/"

    desk = Person(chromium, portal.url, "access", device)
    sign_in(desk, "casey")
    desk.page.goto(case_url)
    desk.page.goto(case_url)
    viewers = desk.page.get_by_role("region", name="Coordinators who opened this case")
    assert "Casey Reader: last" in viewers.inner_text()
    viewers.scroll_into_view_if_needed()
    desk.step("case-viewers")
    desk.page.get_by_role("button", name="Sign out").click()

    sign_in(desk, "ada")
    desk.page.goto(f"/admin/consultations/consultationrequest/{case.pk}/change/")
    assert case.reference in desk.page.content()
    assert "Zephyrine" not in desk.page.content()
    desk.step("admin-case")
    desk.page.goto("/admin/consultations/accessrecord/")
    assert "staff:case_detail" in desk.page.content()
    desk.step("admin-access-log")
    desk.page.get_by_role("link", name="Export as CSV").click()
    desk.step("admin-export")
    desk.close()
