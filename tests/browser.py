"""A person at a screen in Chromium: every step is checked and photographed.

A step fails on any response of 400 or more from the portal (pages, static
files, photos, form posts), any console error (CSP violations are reported
there) and any uncaught page error. A step that should get a 4xx says so with
``expect_status``.
"""

import json
import re
from contextlib import contextmanager
from pathlib import Path

from tests.staff import PASSWORD, fresh_code
from tests.submission import MOBILE, PATIENT

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# An iPad Air held upright: where surgeons review.
TABLET = {"viewport": {"width": 820, "height": 1180}, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 900}}


def assert_accessible(page, axe_script: str) -> None:
    """No axe-core violations on the page as it is now (``axe_script``: the conftest fixture)."""
    page.add_script_tag(path=axe_script)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    found = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
    ]
    assert found == [], json.dumps(found, indent=1)


MBIT = 1_000_000 / 8  # bytes per second


def throttle(
    person: "Person", *, upload_mbit: float, download_mbit: float = 20, latency_ms: int = 60
) -> None:
    """Chromium's own network throttling (DevTools protocol): every byte is paced."""
    session = person.context.new_cdp_session(person.page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "uploadThroughput": upload_mbit * MBIT,
            "downloadThroughput": download_mbit * MBIT,
        },
    )


class Person:
    def __init__(self, browser, base_url: str, name: str, device: dict, **context_args):
        self.base_url = base_url
        self.name = f"{name}-{device['viewport']['width']}px"
        self.context = browser.new_context(base_url=base_url, **device, **context_args)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self._expected: set[int] = set()
        self._seen_expected: list[int] = []
        self.context.on("response", self._on_response)
        self.context.on("console", self._on_console)
        self.context.on("weberror", self._on_page_error)

    def _on_response(self, response):
        if response.status < 400 or not response.url.startswith(self.base_url):
            return
        if response.status in self._expected:
            self._seen_expected.append(response.status)
            return
        path = response.url.removeprefix(self.base_url)
        self.problems.append(f"{response.status} for {response.request.method} {path}")

    def _on_page_error(self, web_error):
        self.problems.append(f"page error: {web_error.error}")

    def _on_console(self, message):
        if message.type != "error":
            return
        # Chromium also logs every 4xx/5xx resource; an expected one is fine.
        if self._expected and message.text.startswith("Failed to load resource"):
            return
        self.problems.append(f"console error: {message.text}")

    @contextmanager
    def expect_status(self, status: int):
        """The one place a 4xx is right: the block must get it, and only it."""
        self._expected.add(status)
        self._seen_expected.clear()
        try:
            yield
            self.page.wait_for_load_state()
            assert status in self._seen_expected, f"expected a {status} response"
        finally:
            self._expected.discard(status)

    def check(self) -> None:
        self.page.wait_for_load_state()
        problems, self.problems = self.problems, []
        assert not problems, f"{self.name} at {self.page.url}:\n" + "\n".join(problems)

    def step(self, name: str) -> None:
        """Check what happened since the last step, then take a full-page screenshot."""
        self.check()
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{self.name}-{name}.png", full_page=True)

    def close(self) -> None:
        try:
            self.check()
        finally:
            self.context.close()


# --- The patient's form --------------------------------------------------------


def fill_form(page) -> None:
    """Every field, found by its label, as a patient fills it in."""
    page.get_by_label("First name").fill(PATIENT["first_name"])
    page.get_by_label("Last name").fill(PATIENT["last_name"])
    page.get_by_label("Email address").fill(PATIENT["email"])
    # Texts need a number that can take them (the form checks it is a mobile).
    page.get_by_label("Phone number").fill(MOBILE)
    page.get_by_label("Text message").check()
    page.get_by_label("Date of birth").fill("1990-02-14")
    page.get_by_label("Country where you live").select_option("GB")
    page.get_by_label("State, province or region").fill("Greater London")
    page.get_by_label("Under the eyes / tear troughs").check()
    page.get_by_label("What have you noticed, and since when?").fill(PATIENT["symptoms"])
    page.get_by_label("What would you like to achieve?").fill(PATIENT["goals"])
    page.get_by_label("Carbon peel", exact=True).check()
    page.get_by_label("When did you have Carbon peel? (approximately)").fill("2026-09")
    page.get_by_label("I have read the privacy notice.").check()
    page.get_by_label("I agree that the clinic stores my photos for medical evaluation.").check()
    page.get_by_label("I agree to be contacted about my request.").check()


# --- Staff ------------------------------------------------------------------------


def sign_in(person: Person, username: str) -> None:
    """Password, then a code computed from the account's authenticator secret."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    code = fresh_code(user)
    page = person.page
    page.goto("/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    person.step(f"{username}-sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(code)
    person.step(f"{username}-second-factor")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Sign out", exact=True).wait_for()
    # Production cookies are Secure; Chromium keeps them on http://localhost.
    assert all(cookie["secure"] for cookie in person.context.cookies())


def sign_out(person: Person) -> None:
    person.page.get_by_role("button", name="Sign out", exact=True).click()
    person.page.get_by_label("Password").wait_for()


def wait_for_images(page, selector: str) -> int:
    """Wait until every image matched has loaded with real pixels; return how many.

    A broken image completes with naturalWidth 0, so this times out instead.
    """
    images = page.locator(selector)
    images.first.wait_for()
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "selector => [...document.querySelectorAll(selector)]"
        ".every(i => i.complete && i.naturalWidth > 0)",
        arg=selector,
        timeout=15_000,
    )
    return images.count()


def link_in(text: str, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/status/\S+/", text)
    assert match, f"no status link to {base_url} in the email"
    return match.group(0)
