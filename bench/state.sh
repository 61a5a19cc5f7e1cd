#!/usr/bin/env bash
# Durable-state figures (issue #3): durable mutations with 1 and 50 clients (fsync always),
# start-up replay and resident memory with 1,000,000 journal records (without and with a
# snapshot), and snapshot time. Builds in release mode; everything runs in a temporary
# directory and is stopped at the end.
#   bench/state.sh                 full run (about 3 minutes after the build)
#   RECORDS=20000 SECONDS_EACH=1 bench/state.sh   a smoke run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
records=${RECORDS:-1000000}
seconds=${SECONDS_EACH:-5}
config=${CONFIGURATION:-release}
cd "$root"
swift build -c "$config" >/dev/null
bin="$root/.build/$config"
work=$(mktemp -d /tmp/doorstep-bench-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() {  # start FSYNC: launches the daemon, waits until it answers; sets pid and ready_ms
  printf '[daemon]\nsocket = "%s"\nstate_dir = "%s"\nfsync = "%s"\nsnapshot_every_events = 100000000\nsnapshot_every_bytes = 68719476736\n[plugins.probe]\nenabled = true\n' \
    "$work/d.sock" "$work/state" "$1" > "$work/c.toml"
  local t0; t0=$(date +%s%N)
  "$bin/doorstepd" --config "$work/c.toml" >/dev/null 2>>"$work/daemon.log" &
  pid=$!
  until "$bin/doorstepctl" --socket "$work/d.sock" --timeout 600 ping >/dev/null 2>&1; do sleep 0.01; done
  ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
crash() { kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); build: $config"
start always
"$bin/doorstep-bench" mutate --socket "$work/d.sock" --clients 1 --seconds "$seconds" --label durable
"$bin/doorstep-bench" mutate --socket "$work/d.sock" --clients 50 --seconds "$seconds" --label durable
stop
rm -rf "$work/state"

start off
"$bin/doorstep-bench" fill --socket "$work/d.sock" --records "$records" --clients 4 --depth 64 --label fill-fsync-off
crash
bytes=$(du -sb "$work/state/journal" | cut -f1)
start always
echo "replay records=$records journal_bytes=$bytes ready_ms=$ready_ms rss_mib=$(rss_mib) (no snapshot)"
snap=$("$bin/doorstepctl" --socket "$work/d.sock" --json state.snapshot | grep -o '"millis":[0-9]*' | cut -d: -f2)
echo "snapshot records=$records millis=$snap snapshot_bytes=$(du -sb "$work/state/snapshots" | cut -f1)"
crash
start always
echo "replay records=$records ready_ms=$ready_ms rss_mib=$(rss_mib) (from the snapshot)"
stop
