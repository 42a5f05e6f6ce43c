"""The portal as the clinic runs it: DEBUG off, collected static files served by
WhiteNoise, gunicorn, and a Celery worker on Redis, as subprocesses of the test run.

Subprocesses read only environment variables, so everything the pytest process
changes in ``settings`` is invisible to them; ``production_env`` says it all.
"""

import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import die_with_parent, free_port, start_worker, stop_worker, worker_env

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Log:
    """A subprocess's log file, and where the current test started reading it."""

    name: str
    path: Path
    offset: int = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")


@dataclass
class ProductionServer:
    url: str
    mail_dir: Path
    private_root: Path
    logs: list[Log] = field(default_factory=list)


def production_env(*, base: Path, redis_url: str, url: str, secret_key: str) -> dict:
    """The worker's environment (database, broker, file mail, private files) with
    the production defaults left alone: no DJANGO_SECURE_COOKIES, so cookies are
    `Secure` as in production (Chromium keeps them on http://localhost)."""
    env = worker_env(
        redis_url=redis_url, mail_dir=base / "mail", private_root=base / "private", site_url=url
    )
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="localhost",
        DJANGO_STATIC_ROOT=str(base / "static"),
        # Two web processes share the record of used authenticator codes.
        PORTAL_CACHE_URL=redis_url,
        # The status-link tokens the tests make must verify in the server.
        DJANGO_SECRET_KEY=secret_key,
        # Mail goes to files and links to localhost: allowed for this server only.
        PORTAL_ALLOW_UNSAFE="console_email,local_site_url",
        # The browser tests send many requests from 127.0.0.1.
        PORTAL_REQUEST_RATE_LIMIT="1000/m",
        PORTAL_PHOTO_UPLOAD_RATE_LIMIT="1000/m",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_SECURE_COOKIES", None)
    return env


def collect_static(env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        pytest.fail(f"collectstatic failed:\n{result.stdout}\n{result.stderr}")


GUNICORN = [sys.executable, "-m", "gunicorn", "config.wsgi"]
RUNSERVER = [sys.executable, "manage.py", "runserver", "--noreload"]


def start_server(command: list[str], *, env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """Start a web server process and return once it serves a static file."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    deadline = time.monotonic() + 30
    while not _answers(f"http://localhost:{port}/static/favicon.svg"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{command[2]} did not start:\n{log_path.read_text()}")
        time.sleep(0.1)
    return process


def start_gunicorn(*, env: dict, port: int, log_path: Path) -> subprocess.Popen:
    command = [*GUNICORN, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]
    command += ["--access-logfile", "-", "--error-logfile", "-"]
    return start_server(command, env=env, port=port, log_path=log_path)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own http URL)
            return True
    except OSError:
        return False


def stop_gunicorn(process: subprocess.Popen) -> None:
    stop_worker(process)  # the same TERM, wait, then KILL


def run_production_server(*, base: Path, redis_url: str, ping_app, secret_key: str):
    """Yield a ProductionServer; stop its processes afterwards."""
    for name in ("mail", "private", "static"):
        (base / name).mkdir()
    port = free_port()
    url = f"http://localhost:{port}"
    env = production_env(base=base, redis_url=redis_url, url=url, secret_key=secret_key)
    collect_static(env)
    worker_log = Log("celery worker", base / "worker.log")
    worker = start_worker(app=ping_app, env=env, log_path=worker_log.path, prefix="browser")
    web_log = Log("gunicorn", base / "gunicorn.log")
    try:
        web = start_gunicorn(env=env, port=port, log_path=web_log.path)
    except BaseException:
        stop_worker(worker)
        raise
    try:
        yield ProductionServer(url, base / "mail", base / "private", [web_log, worker_log])
    finally:
        stop_gunicorn(web)
        stop_worker(worker)
