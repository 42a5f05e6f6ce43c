#!/usr/bin/env bash
# Start/stop the consultation portal as the perf harness measures it: a clone of the
# project's main in /tmp/perf/portal, its locked dependencies (no dev group), DEBUG off,
# PostgreSQL (perf_portal), photos on local disk, Redis broker on db 3 with no worker
# (the web tier is measured; photo processing is bench/photos.py's), gunicorn 2 sync workers.
#   portal_serve.sh start|stop      -> http://127.0.0.1:8103/   pid /tmp/perf/run/portal.pid
set -euo pipefail
RUN=/tmp/perf/run; DIR=/tmp/perf/portal; mkdir -p "$RUN"
export DJANGO_DEBUG=false DJANGO_SECRET_KEY=perf-not-secret-0123456789abcdefghijklmnopqrstuvwxyz
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost DJANGO_SECURE_COOKIES=false
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf_portal DATABASE_CONN_MAX_AGE=60
export CELERY_BROKER_URL=redis://127.0.0.1:6379/3 PORTAL_PRIVATE_FILES_ROOT=/tmp/perf/portal-media
export DJANGO_STATIC_ROOT=/tmp/perf/portal-static PORTAL_LOG_LEVEL=WARNING PYTHONDONTWRITEBYTECODE=1
# Added to the shared copy: the portal now refuses console mail and a local site
# URL unless named here, and its per-address limits (10 forms an hour, 60 photos)
# would answer 429 to a load client that sends everything from one address.
export PORTAL_ALLOW_UNSAFE=console_email,local_site_url
export PORTAL_REQUEST_RATE_LIMIT=1000000/h PORTAL_PHOTO_UPLOAD_RATE_LIMIT=1000000/h
case "${1:?start|stop}" in
stop) [ -f "$RUN/portal.pid" ] && kill -TERM "$(cat "$RUN/portal.pid")" && echo "stopped portal" || echo "portal not running"; exit 0 ;;
esac
[ -d "$DIR/.git" ] || git clone -q "${PORTAL_SRC:?set PORTAL_SRC to the project checkout}" "$DIR"
cd "$DIR"
UV_PROJECT_ENVIRONMENT=$DIR/.venv uv sync --frozen --no-dev -q
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='perf_portal'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE perf_portal"
.venv/bin/python manage.py migrate -v0
DJANGO_STATIC_ROOT=/tmp/perf/portal-static .venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/gunicorn config.wsgi --workers 2 --worker-class sync --bind 127.0.0.1:8103 \
  --pid "$RUN/portal.pid" --error-logfile "$RUN/portal.log" --no-control-socket --daemon
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8103/ && break || sleep 0.2; done
echo "portal: http://127.0.0.1:8103/ (gunicorn master $(cat "$RUN/portal.pid"))"
