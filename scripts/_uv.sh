# Sourced by scripts/run and scripts/test: finds or installs uv, then installs
# the locked dependencies into .venv. Needs only Python 3.11+ on the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if command -v uv >/dev/null 2>&1; then
  UV=uv
else
  # A private tools venv avoids pip's "externally managed" refusal on Debian.
  if [ ! -x var/tools/bin/uv ]; then
    echo "Installing uv (the dependency installer) into var/tools ..."
    python3 -m venv var/tools
    var/tools/bin/pip install --quiet --disable-pip-version-check uv
  fi
  UV="$PWD/var/tools/bin/uv"
fi
export UV_PYTHON_DOWNLOADS=never
"$UV" sync --locked --quiet

# System packages, brought in here as root on Debian: libvips (Debian's
# libvips42) decodes uploaded PNG, WebP, HEIC and AVIF photos (pyvips only
# binds it); GNU gettext's msgfmt compiles the translations below.
missing=""
"$UV" run --quiet python -c "import pyvips" >/dev/null 2>&1 || missing="$missing libvips42"
command -v msgfmt >/dev/null 2>&1 || missing="$missing gettext"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing$missing ..."
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "Missing system packages:$missing. Install them (Debian/Ubuntu: sudo apt-get" \
      "install$missing; macOS: brew install vips gettext), then run this again." >&2
    exit 1
  fi
fi

# The patient's pages and messages in Spanish: locale/*/LC_MESSAGES/*.po are
# compiled into the .mo files Django reads (built here, never committed; an
# unchanged catalogue is skipped).
DJANGO_DEBUG=true PORTAL_LOG_LEVEL=WARNING "$UV" run --quiet python manage.py compilemessages \
  --ignore=.venv --ignore=var --ignore=node_modules >/dev/null
