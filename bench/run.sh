#!/usr/bin/env bash
# The benchmark harness (issue #6): Doorstep side by side with Redis (and socat) in one run.
#   bench/run.sh            full run at district size, release build (about 10 minutes)
#   bench/run.sh --smoke    a few seconds at toy size with the debug build (CI keeps it working)
# Options: --debug (use the debug build), --out DIR (default bench/out).
# Sizes and repetitions can be overridden: HOUSEHOLDS, RECORDS, RUNS, SECONDS_EACH, PING_RUNS.
# Everything runs in a temporary directory (daemon state and socket, Redis and its socket) and is
# stopped at the end. Prints a table; writes DIR/results.jsonl (every run) and DIR/results.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
config=release smoke=0 out="$root/bench/out"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; config=debug ;;
    --debug) config=debug ;;
    --out) out=$2; shift ;;
    *) echo "bench/run.sh: unknown option '$1' (use --smoke, --debug, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  : "${HOUSEHOLDS:=2000}" "${RECORDS:=20000}" "${RUNS:=1}" "${SECONDS_EACH:=0.5}" "${PING_RUNS:=10}" "${WARMUP:=0.1}"
else
  : "${HOUSEHOLDS:=100000}" "${RECORDS:=1000000}" "${RUNS:=3}" "${SECONDS_EACH:=3}" "${PING_RUNS:=200}" "${WARMUP:=0.5}"
fi

# The peer and the tools: Debian's redis-server and socat, installed when missing.
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v socat >/dev/null || need+=(socat)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing ${need[*]} (Debian packages)" >&2
  # The package must not start a system-wide Redis: a policy-rc.d that says no, for the install only.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 0755 "$policy"
  fi
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  [ -n "$policy" ] && $sudo rm -f "$policy"
fi

echo "building ($config)" >&2
swift build -c "$config" --product doorstepd >/dev/null
swift build -c "$config" --product doorstepctl >/dev/null
swift build -c "$config" --product doorstep-bench >/dev/null
bin="$root/.build/$config"
B="$bin/doorstep-bench"

mkdir -p "$out"
results="$out/results.jsonl"
: > "$results"
work=$(mktemp -d /tmp/doorstep-bench-XXXXXX)
pid="" redis_pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill -9 "$redis_pid" 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
sock="$work/d.sock"
ctl() { "$bin/doorstepctl" --socket "$sock" --timeout 600 "$@"; }

# write_config FSYNC SNAPSHOTS(default|never)
write_config() {
  {
    printf '[daemon]\nsocket = "%s"\nstate_dir = "%s"\nfsync = "%s"\nmax_body_bytes = 134217728\n' "$sock" "$work/state" "$1"
    [ "$2" = never ] && printf 'snapshot_every_events = 100000000\nsnapshot_every_bytes = 68719476736\n'
    printf '[plugins.probe]\nenabled = true\n'
  } > "$work/doorstep.toml"
}
# start [ROW]: starts the daemon and waits until it answers; a ROW records its start-up figures.
start() {
  local row=${1:-}
  local record=()
  [ -n "$row" ] && record=(--row "$row" --out "$results")
  pid=$("$B" start --socket "$sock" --log "$work/daemon.log" "${record[@]}" -- "$bin/doorstepd" --config "$work/doorstep.toml")
}
gone() {  # gone PID: the process is reaped. Not merely a zombie: a killed daemon's other threads
  # can still hold the state lock for milliseconds while its main thread is a zombie.
  [ ! -e "/proc/$1/stat" ]
}
zombie() { [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }
finish() {  # finish TERM|KILL: stops the daemon and waits until it is gone (KILL after 30 s)
  kill -"$1" "$pid" 2>/dev/null || true
  local waited=0
  until gone "$pid"; do
    # A zombie nobody reaps for 5 s has released everything (its parent is elsewhere).
    if zombie "$pid" && [ "$waited" -ge 500 ]; then break; fi
    sleep 0.01; waited=$((waited + 1))
    if [ "$waited" -eq 3000 ]; then echo "doorstepd $pid did not stop in 30 s; killing it" >&2; kill -9 "$pid" 2>/dev/null || true; fi
  done
  pid=""
}
fresh() { rm -rf "$work/state"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); build: $config" >&2
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), Linux $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"); $(redis-server --version | cut -d' ' -f1-3)"

# --- Test data: a district roster with Chinese names -------------------------------------------
residents=$("$B" roster --households "$HOUSEHOLDS" --csv "$work/roster.csv" --keys "$work/keys.txt" | sed -n 's/.*residents=\([0-9]*\).*/\1/p')
echo "roster: $HOUSEHOLDS households, $residents residents" >&2

# --- 5. roster.import, and 4. start-up with the roster (journal, then snapshot), memory -----------
write_config always never
fresh; start baseline; finish KILL
for run in $(seq "$RUNS"); do
  fresh; start
  "$B" spawn --runs 1 --no-check --items "$residents" --row import.roster --out "$results" -- \
    "$bin/doorstepctl" --socket "$sock" --timeout 600 --data "$work/roster.csv" roster.import format=csv
  finish KILL
done
for run in $(seq "$RUNS"); do start replay.roster; finish KILL; done
start; ctl state.snapshot >/dev/null; finish KILL
for run in $(seq "$RUNS"); do start replay.roster.snapshot; finish KILL; done

# --- 1. reads and 2. durable writes, against Redis on a Unix socket ------------------------------
mkdir -p "$work/redis"
redis-server --port 0 --unixsocket "$work/r.sock" --unixsocketperm 700 --dir "$work/redis" --save "" \
  --appendonly yes --appendfsync always --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
for i in $(seq 1000); do
  redis-cli -s "$work/r.sock" ping >/dev/null 2>&1 && break
  if ! kill -0 "$redis_pid" 2>/dev/null || [ "$i" = 1000 ]; then
    echo "redis-server did not start:" >&2; cat "$work/redis.log" >&2; exit 1
  fi
  sleep 0.01
done
write_config always default
start
# Redis values as long as Doorstep's household reply, so both move the same bytes.
value_bytes=$(ctl roster.household "$(head -1 "$work/keys.txt")" | wc -c)
"$B" load --wire redis --socket "$work/r.sock" --command 'SET {key} {value}' --keys "$work/keys.txt" \
  --value-bytes "$value_bytes" --total "$HOUSEHOLDS" --clients 4 --depth 64 >/dev/null
ctl visits.campaign.start bench deadline=2030-01-01 >/dev/null
load() {  # load ROW CLIENTS DEPTH DOORSTEP_COMMAND REDIS_COMMAND
  "$B" load --wire doorstep --socket "$sock" --clients "$2" --depth "$3" --command "$4" --keys "$work/keys.txt" \
    --seconds "$SECONDS_EACH" --warmup "$WARMUP" --row "$1" --system doorstep --out "$results" >&2
  "$B" load --wire redis --socket "$work/r.sock" --clients "$2" --depth "$3" --command "$5" --keys "$work/keys.txt" \
    --value-bytes "$value_bytes" --seconds "$SECONDS_EACH" --warmup "$WARMUP" --row "$1" --system redis --out "$results" >&2
}
for run in $(seq "$RUNS"); do
  load read.c1.d1 1 1 'roster.household {key}' 'GET {key}'
  load read.c50.d1 50 1 'roster.household {key}' 'GET {key}'
  load read.c1.d16 1 16 'roster.household {key}' 'GET {key}'
  load read.c50.d16 50 16 'roster.household {key}' 'GET {key}'
  load durable.c1 1 1 'visits.record {key} outcome=answered people=3 visitor=志愿者' 'SET {key} {value}'
  load durable.c50 50 1 'visits.record {key} outcome=answered people=3 visitor=志愿者' 'SET {key} {value}'
done

# --- 3. doorstepctl ping as a whole process, against socat sending the same line ------------------
printf 'ping\n' > "$work/ping.txt"
for run in $(seq "$RUNS"); do
  "$B" spawn --runs "$PING_RUNS" --row ping --system doorstep --out "$results" -- "$bin/doorstepctl" --socket "$sock" ping >&2
  "$B" spawn --runs "$PING_RUNS" --stdin "$work/ping.txt" --row ping --system socat --out "$results" -- \
    socat - "UNIX-CONNECT:$sock" >&2
done
finish TERM
kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""

# --- 4. start-up with 1,000,000 journal records, then from a snapshot ---------------------------
write_config off never
fresh; start
"$B" load --wire doorstep --socket "$sock" --command 'probe.set key{n} 值{n}' --total "$RECORDS" --clients 4 --depth 64 \
  --row fill --system doorstep >&2
finish KILL
write_config always never
for run in $(seq "$RUNS"); do start replay.journal; finish KILL; done
start; ctl state.snapshot >/dev/null; finish KILL
for run in $(seq "$RUNS"); do start replay.journal.snapshot; finish KILL; done

# --- The report --------------------------------------------------------------------------------
require=(); [ "$smoke" = 1 ] && require=(--require-all)
"$B" report --input "$results" --json "$out/results.json" --machine "$machine" \
  --command-line "bench/run.sh $([ "$smoke" = 1 ] && echo --smoke) (HOUSEHOLDS=$HOUSEHOLDS RECORDS=$RECORDS RUNS=$RUNS SECONDS_EACH=$SECONDS_EACH PING_RUNS=$PING_RUNS, $config)" \
  --records "$RECORDS" --roster "$HOUSEHOLDS/$residents" "${require[@]}"
echo "results: $out/results.json (every run: $results)" >&2
