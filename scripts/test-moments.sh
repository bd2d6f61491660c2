#!/usr/bin/env bash
# Run the suite on SQLite once from each moment in tests/moments.py (PROPSVC_TEST_AT), time
# ticking on from there. Extra arguments go to pytest (e.g. a test file).
set -u
cd "$(dirname "$0")/.."
moments=$(.venv/bin/python -c 'import sys; sys.path.insert(0, "tests"); from moments import MOMENTS; print(" ".join(MOMENTS))')
failed=()
for m in $moments; do
  echo "=== $m"
  env -u TEST_DATABASE_URL -u CI PROPSVC_TEST_AT="$m" .venv/bin/python -m pytest -q -p no:cacheprovider -m "not browser" "$@"
  rc=$?
  [ $rc -eq 0 ] || [ $rc -eq 5 ] || failed+=("$m")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "Failed at: ${failed[*]}"
  exit 1
fi
echo "Passed at every moment: $moments"
