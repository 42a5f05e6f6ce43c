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

# Uploaded PNG, WebP, HEIC and AVIF photos are decoded by libvips, a system
# library (pyvips only binds it): Debian's libvips42, brought in here as root.
if ! "$UV" run --quiet python -c "import pyvips" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing libvips (Debian's libvips42) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips42 >/dev/null
  else
    echo "libvips is missing: install it (Debian/Ubuntu: sudo apt-get install libvips42," \
      "macOS: brew install vips), then run this again." >&2
    exit 1
  fi
fi
