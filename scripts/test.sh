#!/usr/bin/env bash
# Runs every test: unit, fixture round-trips, the multi-instance federation tests on
# SQLite and PostgreSQL, file storage on the disk and on S3 (moto), the interop test
# against a Fedify peer (Node.js), the web interface in headless Chromium (Node.js,
# playwright-core, axe-core), and the feed tests, whose output PyPI's icalendar and
# feedparser read (installed here if missing). PostgreSQL: uses WEFT_TEST_POSTGRES_URL if set; otherwise starts
# the machine's PostgreSQL cluster (Debian's pg_ctlcluster) if there is one, and makes a
# `weft` role for the tests. Without PostgreSQL the PostgreSQL runs are skipped (not
# under CI, where they must run).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${WEFT_TEST_POSTGRES_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -n "$version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do
      pg_isready -q -h localhost && break
      sleep 1
    done
    if pg_isready -q -h localhost; then
      su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='weft'\" | grep -q 1 || psql -q -c \"CREATE ROLE weft LOGIN SUPERUSER PASSWORD 'weft'\"" >/dev/null
      export WEFT_TEST_POSTGRES_URL=postgres://weft:weft@localhost/postgres
    fi
  fi
fi
if [ -n "${WEFT_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL tests: ${WEFT_TEST_POSTGRES_URL%%:*}://… (set)"
else
  echo "PostgreSQL tests: skipped (no server; set WEFT_TEST_POSTGRES_URL)"
fi

# Servers started here (moto, the SMTP sink) stop when this script ends.
cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT

# The S3 file storage tests need an S3-compatible server: `moto` in server mode (PyPI:
# pip install 'moto[server]'), started here on a free port unless WEFT_TEST_S3_URL is set,
# and stopped when the tests end. Without it the S3 runs are skipped (not under CI).
if [ -z "${WEFT_TEST_S3_URL:-}" ] && command -v moto_server >/dev/null 2>&1; then
  s3_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  moto_server -H 127.0.0.1 -p "$s3_port" >"${TMPDIR:-/tmp}/weft-moto-$s3_port.log" 2>&1 &
  moto_pid=$!
  cleanup+=('kill "$moto_pid" 2>/dev/null || true')
  for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$s3_port/" && break
    sleep 0.2
  done
  export WEFT_TEST_S3_URL="http://127.0.0.1:$s3_port"
fi
if [ -n "${WEFT_TEST_S3_URL:-}" ]; then
  echo "S3 file storage tests: $WEFT_TEST_S3_URL"
else
  echo "S3 file storage tests: skipped (no moto_server; pip install 'moto[server]', or set WEFT_TEST_S3_URL)"
fi

# The Fedify interop test needs Node.js and the peer's npm packages (lockfile committed).
if command -v npm >/dev/null 2>&1; then
  if [ ! -d tests/fedify-peer/node_modules/@fedify/fedify ]; then
    (cd tests/fedify-peer && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # The web interface's browser test: playwright-core and axe-core (lockfile committed),
  # driving Debian's chromium (apt-get install chromium).
  if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  echo "Node.js/npm not found: the Fedify interop test will fail (Debian: apt-get install nodejs npm)"
fi

# The feed tests read Weft's iCalendar and Atom with independent parsers from PyPI.
if ! python3 -c "import icalendar, feedparser" >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check icalendar feedparser 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages icalendar feedparser \
    || echo "Python's icalendar and feedparser are missing: the feed tests will fail (pip install icalendar feedparser)"
fi
# The mail tests send to a local SMTP sink (aiosmtpd from PyPI) that writes each message
# into a directory the tests read; the sink stops with this script.
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd \
    || echo "aiosmtpd could not be installed: the mail tests will fail under CI"
fi
if python3 -c "import aiosmtpd" 2>/dev/null; then
  WEFT_TEST_MAIL_DIR=$(mktemp -d -t weft-mail-XXXXXX)
  smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 tests/smtp_sink.py --port "$smtp_port" --dir "$WEFT_TEST_MAIL_DIR" &
  smtp_pid=$!
  cleanup+=('kill "$smtp_pid" 2>/dev/null || true; rm -rf "$WEFT_TEST_MAIL_DIR"')
  for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1)" 2>/dev/null && break
    sleep 0.1
  done
  export WEFT_TEST_SMTP="127.0.0.1:$smtp_port" WEFT_TEST_MAIL_DIR
  echo "mail tests: SMTP sink on $WEFT_TEST_SMTP"
else
  echo "mail tests: skipped (no aiosmtpd; pip install aiosmtpd)"
fi

cargo test --workspace "$@"
