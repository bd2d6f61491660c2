#!/usr/bin/env bash
# Run the whole suite: SQLite always, PostgreSQL too when a server answers on 127.0.0.1:5432.
set -u
cd "$(dirname "$0")/.."

pg_up() { .venv/bin/python - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432)); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! pg_up && [ "$(id -u)" -eq 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in /etc/postgresql/*; do pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start 2>/dev/null || true; done
    sleep 2
  fi
  if pg_up; then
    export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/propsvc_test"
  elif [ "${CI:-}" = "true" ]; then
    echo "CI: PostgreSQL does not answer on 127.0.0.1:5432; the suite must run on it." >&2
    exit 1
  else
    echo "PostgreSQL not reachable: running on SQLite only."
  fi
fi
echo "Databases: sqlite${TEST_DATABASE_URL:+ and postgresql}"

.venv/bin/python -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest: no tests were collected for this selection."
  exit 0
fi
exit $rc
