"""Lighthouse (mobile) on the patient's form and its status page, as the clinic runs them.

Starts the tests' production server (gunicorn with DEBUG off, collected and
compressed static files, the production headers and Content Security Policy)
and runs Lighthouse from the npm registry against it with Debian's Chromium,
then prints the performance and accessibility scores and the bytes the form
page transferred (compressed) before any photo.

    PYTHONPATH=. uv run pytest -p tests.conftest bench/lighthouse_form.py -s -p no:randomly

Lighthouse is fetched by npx (pinned below) on first use; it is not part of
package.json because the test suite does not need it.
"""

import json
import os
import subprocess

import pytest

from consultations.status_links import status_path
from tests.conftest import CHROMIUM
from tests.factories import ConsultationRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LIGHTHOUSE = "lighthouse@12.8.2"


def lighthouse(url: str, report) -> dict:
    subprocess.run(
        [
            "npx",
            "--yes",
            LIGHTHOUSE,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            "--only-categories=performance,accessibility",
            "--form-factor=mobile",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        timeout=300,
    )
    return json.loads(report.read_text())


def transferred_kb(result: dict) -> float:
    items = result["audits"]["network-requests"]["details"]["items"]
    return sum(item.get("transferSize", 0) for item in items) / 1000


def test_lighthouse(portal, tmp_path):
    case = ConsultationRequestFactory()
    pages = {"form": portal.url + "/", "status": portal.url + status_path(case)}
    print()
    for name, url in pages.items():
        result = lighthouse(url, tmp_path / f"{name}.json")
        scores = {key: round(value["score"] * 100) for key, value in result["categories"].items()}
        metrics = {
            key: result["audits"][key]["displayValue"]
            for key in (
                "first-contentful-paint",
                "largest-contentful-paint",
                "total-blocking-time",
                "cumulative-layout-shift",
            )
        }
        print(
            f"| {name} | {scores['performance']} | {scores['accessibility']} "
            f"| {transferred_kb(result):.1f} KB | {' / '.join(metrics.values())} |"
        )
        for item in result["audits"]["network-requests"]["details"]["items"]:
            print(f"    {item['transferSize'] / 1000:6.1f} KB  {item['url'][len(portal.url) :]}")
