#!/usr/bin/env bash
# Runs a command; if it is still running after LIMIT seconds, prints every thread's stack of
# the test runner and of each doorstepd (gdb), then stops it. A hang in CI then ends as a
# failure that names where it hangs, long before CI's own time limit.
#   scripts/hang-watchdog.sh LIMIT command…
set -uo pipefail
limit=$1; shift
"$@" &
pid=$!
(
  sleep "$limit"
  kill -0 "$pid" 2>/dev/null || exit 0
  echo "hang-watchdog: '$*' still running after ${limit}s; stacks follow" >&2
  for p in $(pgrep -f 'doorstepPackageTests|/doorstepd ' || true); do
    echo "=== $(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | cut -c1-160)" >&2
    if command -v gdb >/dev/null; then
      timeout 60 gdb -p "$p" -batch -ex 'thread apply all bt 25' 2>/dev/null \
        | grep -E '^Thread|/work/|Sources/|Tests/|plugins/' | sed -E 's/0x[0-9a-f]+ in //' | cut -c1-220 >&2
    else
      cat /proc/$p/task/*/stack 2>/dev/null | head -50 >&2
    fi
  done
  pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
  sleep 5; pkill -9 -f 'doorstepPackageTests' 2>/dev/null
) &
watchdog=$!
wait "$pid"; status=$?
kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
exit $status
