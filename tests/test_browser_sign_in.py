"""Staff sign-in in Chromium on the production server: a first sign-in that
enrols a passkey (Chromium's virtual authenticator), then a sign-in with it;
the authenticator-app path is every other browser test's sign_in."""

import pytest
from allauth.mfa.models import Authenticator

from staff_auth.models import SecurityEvent
from tests.browser import DESK, PASSWORD, PHONE, Person, sign_out
from tests.staff import coordinator

pytestmark = pytest.mark.browser


def virtual_authenticator(person: Person) -> None:
    """A platform authenticator (like a laptop's fingerprint reader) that says yes."""
    cdp = person.context.new_cdp_session(person.page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def password_step(person: Person, username: str) -> None:
    page = person.page
    page.goto("/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("device", [PHONE, DESK], ids=["phone", "desk"])
def test_first_sign_in_enrols_a_passkey_and_the_next_uses_it(portal, chromium, device):
    user = coordinator()
    person = Person(chromium, portal.url, "passkey", device)
    try:
        virtual_authenticator(person)
        page = person.page
        password_step(person, "coordinator")
        # Signed in with a password only: the portal asks for a second factor first.
        page.get_by_role("heading", name="Your second factor").wait_for()
        person.step("01-enrolment")
        page.goto("/staff/cases/")
        page.get_by_role("heading", name="Your second factor").wait_for()

        page.get_by_role("link", name="Add a passkey").click()
        page.get_by_label("Name").fill("Work laptop")
        person.step("02-add-passkey")
        page.get_by_role("button", name="Add the passkey").click()
        page.get_by_role("heading", name="Recovery codes").wait_for()
        person.step("03-recovery-codes")
        page.get_by_role("link", name="Continue to the staff pages").click()
        page.get_by_role("heading", name="Requests").wait_for()
        assert Authenticator.objects.filter(user=user, type="webauthn").count() == 1

        sign_out(person)
        password_step(person, "coordinator")
        page.get_by_role("heading", name="Confirm it is you").wait_for()
        person.step("04-second-factor")
        page.get_by_role("button", name="Use a passkey").click()
        page.get_by_role("button", name="Sign out", exact=True).wait_for()
        person.step("05-signed-in")
        kinds = list(SecurityEvent.objects.filter(user_id=user.pk).values_list("kind", flat=True))
        assert SecurityEvent.Kind.MFA_ENROLLED in kinds
        assert kinds.count(SecurityEvent.Kind.SIGN_IN) == 2
    finally:
        person.close()
