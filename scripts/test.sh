#!/usr/bin/env bash
# Run the whole suite: the import contracts first (lint-imports), then SQLite always, PostgreSQL too
# when a server answers on 127.0.0.1:5432.
set -u
cd "$(dirname "$0")/.."

# First the layers (ARCHITECTURE.md; import-linter contracts in pyproject.toml): a forbidden
# import fails the run before any test starts.
if ! .venv/bin/lint-imports --no-cache --no-logo; then
  echo "lint-imports: an import crosses the layers (see ARCHITECTURE.md)." >&2
  exit 1
fi

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

# pytest's exit code 5 means "no tests collected for this selection": not a failure here.
ok() { [ "$1" -eq 0 ] || [ "$1" -eq 5 ]; }

# The whole suite on both databases: two pytest processes side by side, one per core — the
# PostgreSQL half (every test id naming postgresql) and the rest (SQLite, browser, unit tests).
# Each test runs in exactly one of them. Any arguments, or PROPSVC_TEST_SPLIT=0: one process.
# The PostgreSQL tests of PG_IN_FIRST's modules run in the first process instead, so that both
# end together (each process makes its own PostgreSQL database): in CI at stop 28 the
# halves took 658 s and 895 s; these two modules are ~100 s of the PostgreSQL half run alone.
PG_IN_FIRST="test_crawl_masking or test_access_matrix"
if [ -n "${TEST_DATABASE_URL:-}" ] && [ $# -eq 0 ] && [ "${PROPSVC_TEST_SPLIT:-1}" != "0" ]; then
  pg_log="$(mktemp -t propsvc-pg-tests.XXXXXX)"
  echo "PostgreSQL half running alongside (its output follows the SQLite half's)."
  .venv/bin/python -m pytest -p no:cacheprovider -k "postgresql and not ($PG_IN_FIRST)" >"$pg_log" 2>&1 &
  pg_pid=$!
  .venv/bin/python -m pytest -k "not postgresql or ($PG_IN_FIRST)"
  rc_sqlite=$?
  wait "$pg_pid"
  rc_pg=$?
  echo
  echo "=== PostgreSQL half ==="
  cat "$pg_log"
  rm -f "$pg_log"
  echo "exit codes: sqlite half $rc_sqlite, postgresql half $rc_pg"
  if ok "$rc_sqlite" && ok "$rc_pg"; then exit 0; fi
  [ "$rc_sqlite" -ne 0 ] && [ "$rc_sqlite" -ne 5 ] && exit "$rc_sqlite"
  exit "$rc_pg"
fi

.venv/bin/python -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest: no tests were collected for this selection."
  exit 0
fi
exit $rc
