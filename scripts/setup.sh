#!/usr/bin/env bash
# Shared set-up for the two README commands: Debian packages (when root), the .venv, the package.
# Idempotent and quick on a second run: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages kofu's runtime and its independent checkers need (dpkg name per line).
DEBIAN_PACKAGES=(
  python3-venv python3-dev gcc swig libpcsclite-dev
  fonts-ipaexfont-mincho fonts-ipaexfont-gothic fonts-ipamj-mincho
  fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic
  poppler-utils qpdf zbar-tools
  pcscd vsmartcard-vpcd opensc opensc-pkcs11 pcsc-tools
  chromium chromium-driver
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "kofu setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "kofu setup: these Debian packages are missing; install them as root, then run this again:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "kofu setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.kofu-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "kofu setup: installing kofu and its Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
