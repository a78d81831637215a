#!/usr/bin/env bash
# Start what the tests need when it is not running: PostgreSQL and pcscd (with the vpcd virtual reader).
set -uo pipefail

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if command -v pg_isready >/dev/null && ! pg_ready; then
  if [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ]; then
    echo "kofu services: starting PostgreSQL"
    for v in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
    done
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
fi
if pg_ready; then
  export KOFU_TEST_DATABASE_URL=${KOFU_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
fi

if ! pgrep -x pcscd >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v pcscd >/dev/null; then
    echo "kofu services: starting pcscd"
    mkdir -p /run/pcscd
    pcscd || true
    sleep 1
  fi
fi
