"""An idle web worker's resident memory, after it has served the patient's path.

    python bench/worker_rss.py http://127.0.0.1:8103/ /tmp/perf/run/portal.pid [--rounds 6]

Against a portal served by bench/vendor/perf/portal_serve.sh (gunicorn, 2 sync
workers): sends ``--rounds`` submissions with one photo the plain way and as
many the widget's way (bench/loadform_widget.py), so that every worker has
loaded what a submission, its status page and a background upload need,
waits a second, then prints each worker's VmRSS from /proc. Run it with the
perf harness's client interpreter (/tmp/perf/venv-client/bin/python).
"""

import argparse
import sys
import time

import loadform_widget
from loadform_widget import WidgetSubmitter, loadform
from profile_submission import TREATMENTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("pidfile")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--photo-dir", default=loadform_widget.PHOTO_DIR)
    args = parser.parse_args()
    client = argparse.Namespace(
        url=args.url,
        photos=1,
        form_selector=None,
        error_selector=loadform.ERROR_SELECTOR,
        set=[f"treatment_{kind}_date=2025-03" for kind in TREATMENTS],
        skip=[],
        follow=True,
        timeout=120,
    )
    photos = loadform.load_photos(args.photo_dir)
    for submitter in (loadform.Submitter(client, photos), WidgetSubmitter(client, photos)):
        for _ in range(args.rounds):
            result = submitter.once()
            if not result["ok"]:
                sys.exit(f"submission failed: {result['why']}")
    time.sleep(1)
    with open(args.pidfile) as pidfile:
        master = int(pidfile.read())
    sizes = sorted(loadform._rss_mib(pid) for pid in loadform.workers(master))
    print("worker VmRSS MiB after warm-up:", ", ".join(f"{size:.1f}" for size in sizes))


if __name__ == "__main__":
    main()
