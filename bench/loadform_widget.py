"""The submission as the page's script makes it: photos uploaded in the background, then Send.

    python bench/loadform_widget.py check http://127.0.0.1:8103/ -p 5 [--set F=V ...]
    python bench/loadform_widget.py run http://127.0.0.1:8103/ -p 5 -t 60 -c 4 \\
        --pidfile /tmp/perf/run/portal.pid --label portal-widget --json OUT.jsonl

The same client as bench/vendor/perf/loadform.py (a copy of the shared perf harness:
same options, same JSON line, same /proc sampling of the gunicorn workers'
CPU and RSS), with one submission done the widget's way
(static/js/photo-upload.js):

  GET the form (a new visitor: CSRF cookie and token, the submission key)
  one POST /request/photos/ per photo: the token, the key, the slot, the
    photo (answered 201 with the held upload), one at a time like the widget
  POST the form with the typed fields only (Send), which claims them
  GET the status page it redirects to

So ``server_cpu_ms_per_sub`` is the whole submission's server CPU: the
uploads, Send and both pages. ``post_p50_ms`` is Send alone (what the
patient waits for after the photos went up while they typed); ``get_p50_ms``
includes the uploads.
"""

import os
import sys
import time
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor", "perf"))
import loadform  # noqa: E402 (the copied harness, found through the path above)

UPLOAD_PATH = "/request/photos/"
PHOTO_DIR = "/tmp/perf/photos"  # noqa: S108 (the perf harness's folder)


class WidgetSubmitter(loadform.Submitter):
    def once(self, verbose=False, strict=False):
        a, n = self.a, next(self.counter)
        t0 = time.perf_counter()
        r = {"ok": False, "why": None, "get_ms": None, "post_ms": None, "cycle_ms": None}
        try:
            with self.requests.Session() as s:
                s.trust_env = False
                s.headers["User-Agent"] = "loadform-widget/1"
                g = s.get(a.url, timeout=a.timeout)
                if g.status_code != 200:
                    r["why"] = f"GET {g.status_code}"
                    return r
                plan = loadform.Plan(g.text, g.url, a.form_selector)
                data = plan.fill(n, self.overrides, set(a.skip))
                values = dict(data)
                upload_url = urljoin(g.url, UPLOAD_PATH)
                for i, name in enumerate(plan.file_slots(a.photos)):
                    slot = name.removeprefix("photo_") if name.startswith("photo_") else "other"
                    body, ctype = loadform.multipart(
                        [
                            ("csrfmiddlewaretoken", values["csrfmiddlewaretoken"]),
                            ("submission_key", values["submission_key"]),
                            ("slot", slot),
                        ],
                        [("photo", f"photo{i % 5 + 1}.jpg", self.photos[i % len(self.photos)])],
                    )
                    u = s.post(
                        upload_url,
                        data=body,
                        timeout=a.timeout,
                        headers={
                            "Referer": g.url,
                            "Content-Type": ctype,
                            "X-Requested-With": "XMLHttpRequest",
                        },
                    )
                    if verbose:
                        print("POST", upload_url, "slot", slot, "->", u.status_code, u.text[:120])
                    if u.status_code != 201:
                        r["why"] = f"upload {u.status_code}"
                        return r
                body, ctype = loadform.multipart(data, [])
                t1 = time.perf_counter()
                r["get_ms"] = (t1 - t0) * 1e3
                p = s.post(
                    plan.action,
                    data=body,
                    allow_redirects=False,
                    timeout=a.timeout,
                    headers={"Referer": g.url, "Content-Type": ctype},
                )
                r["post_ms"] = (time.perf_counter() - t1) * 1e3
                if verbose:
                    print(
                        "POST",
                        plan.action,
                        "(Send: typed fields only) ->",
                        p.status_code,
                        p.headers.get("Location", ""),
                    )
                if not 300 <= p.status_code < 400:
                    r["why"] = f"Send {p.status_code}"
                    return r
                loc = urljoin(p.url, p.headers.get("Location", ""))
                if urlsplit(loc).path == urlsplit(g.url).path:
                    r["why"] = "redirected back to the form"
                    return r
                f = s.get(loc, timeout=a.timeout)
                if verbose:
                    print("  GET", loc, "->", f.status_code)
                r["why"] = (
                    f"redirect target {f.status_code}"
                    if f.status_code >= 400
                    else loadform.page_error(f.text, a.error_selector, plan)
                )
                r["ok"] = r["why"] is None
        except loadform.FormError as e:
            if strict:
                raise
            r["why"] = f"form: {e}"
        except Exception as e:  # noqa: BLE001 - connection reset, timeout: counted, not fatal
            r["why"] = type(e).__name__
        finally:
            r["cycle_ms"] = (time.perf_counter() - t0) * 1e3
        return r


if __name__ == "__main__":
    loadform.Submitter = WidgetSubmitter
    loadform.main()
