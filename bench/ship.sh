#!/usr/bin/env bash
# bench/ship.sh: doorstep-ship from many daemons into one PostgreSQL (issue 20, docs/district.md).
#   bash bench/ship.sh            100 daemons, release build (about 3 minutes)
#   bash bench/ship.sh --smoke    3 daemons, debug build, seconds (CI keeps it working)
# Options: --debug (the debug build at full size), --out DIR (default bench/out).
# Sizes: COMMUNITIES (100), HOUSEHOLDS per community (200), FILL events per daemon before the
# shippers start (2000), RATE visits a second per daemon in the live phase (5), LIVE seconds (30).
#
# Two figures, both into a private PostgreSQL 15 cluster (fsync on, as a district would run it):
#   ship.catchup  every daemon has FILL visits in its journal; all shippers start at once:
#                 events written per second until the last row is in (and from first row to last)
#   ship.lag      shippers running, RATE visits a second on every daemon (fsync = "always"):
#                 lag = the row's shipped_at − when the visit was acknowledged (committed); p50, p99
# Writes DIR/ship.json and prints a table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
config=release smoke=0 out="$root/bench/out"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; config=debug ;;
    --debug) config=debug ;;
    --out) out=$2; shift ;;
    *) echo "bench/ship.sh: unknown option '$1' (use --smoke, --debug, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  : "${COMMUNITIES:=3}" "${HOUSEHOLDS:=100}" "${FILL:=200}" "${RATE:=5}" "${LIVE:=3}"
else
  : "${COMMUNITIES:=100}" "${HOUSEHOLDS:=200}" "${FILL:=2000}" "${RATE:=5}" "${LIVE:=30}"
fi
pgbin=/usr/lib/postgresql/15/bin
if [ ! -x "$pgbin/initdb" ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing postgresql (Debian packages)" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postgresql postgresql-client >/dev/null
fi

echo "building ($config)" >&2
for product in doorstepd doorstepctl doorstep-ship doorstep-bench; do swift build -c "$config" --product "$product" >/dev/null; done
bin="$root/.build/$config"
work=$(mktemp -d /tmp/doorstep-ship-bench-XXXXXX)
chmod 755 "$work"
pids=()
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# ---- PostgreSQL --------------------------------------------------------------------------------
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
port=$((20000 + RANDOM % 20000))
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-p $port -k $work/pg -c listen_addresses='' -c max_connections=$((COMMUNITIES + 50)) -c shared_buffers=128MB" start >/dev/null
psql() { command psql -X -q -h "$work/pg" -p "$port" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE district"
url="postgres://postgres@/district?host=$work/pg&port=$port"

# ---- The daemons -------------------------------------------------------------------------------
"$bin/doorstep-bench" roster --households "$HOUSEHOLDS" --csv "$work/roster.csv" --keys "$work/keys.txt" >/dev/null
daemons=()
for i in $(seq -f "%03g" 1 "$COMMUNITIES"); do
  d="$work/c$i"; mkdir -p "$d"
  printf '[daemon]\nsocket = "%s"\nstate_dir = "%s"\nfsync = "always"\ntimezone = "Asia/Shanghai"\n\n[ship]\ndatabase_url = "%s"\ncommunity = "c%s"\n' \
    "$d/d.sock" "$d/state" "$url" "$i" > "$d/doorstep.toml"
  "$bin/doorstepd" --config "$d/doorstep.toml" 2>"$d/daemon.log" &
  pids+=($!); disown $!
  daemons+=("$d")
done
for d in "${daemons[@]}"; do
  for _ in $(seq 500); do "$bin/doorstepctl" --socket "$d/d.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
"$bin/doorstep-ship" --config "${daemons[0]}/doorstep.toml" --migrate >/dev/null
echo "machine: $(nproc) cores; $COMMUNITIES daemons, $HOUSEHOLDS households each; filling $FILL visits each" >&2
fill() {
  local d=$1
  "$bin/doorstepctl" --socket "$d/d.sock" --timeout 600 --data "$work/roster.csv" roster.import format=csv >/dev/null
  "$bin/doorstepctl" --socket "$d/d.sock" visits.campaign.start bench deadline=2030-01-01 >/dev/null
  "$bin/doorstep-bench" load --wire doorstep --socket "$d/d.sock" --command 'visits.record {key} outcome=answered people=3' \
    --keys "$work/keys.txt" --total "$FILL" --clients 1 --depth 32 >/dev/null
}
# Four at a time (`wait` alone would wait for the daemons too).
fills=()
for d in "${daemons[@]}"; do
  fill "$d" &
  fills+=($!)
  if [ "${#fills[@]}" -ge 4 ]; then wait "${fills[0]}"; fills=("${fills[@]:1}"); fi
done
for p in "${fills[@]}"; do wait "$p"; done
expected=0
for d in "${daemons[@]}"; do
  n=$("$bin/doorstepctl" --socket "$d/d.sock" --json --timeout 600 state.export \
    | python3 -c 'import json, sys; print(sum(len(r.get("events", [])) for r in json.load(sys.stdin)["data"]))')
  expected=$((expected + n))
done
count() { psql -d district -At -c "SELECT count(*) FROM district.events"; }

# ---- ship.catchup: every shipper starts at once over a full journal ----------------------------
echo "catch-up: $expected events in the journals; starting $COMMUNITIES shippers" >&2
t0=$(date +%s.%N)
for d in "${daemons[@]}"; do
  "$bin/doorstep-ship" --config "$d/doorstep.toml" --log-level warning 2>"$d/ship.log" &
  pids+=($!); disown $!
done
until [ "$(count)" -ge "$expected" ]; do sleep 0.2; done
t1=$(date +%s.%N)
catchup=$(psql -d district -At -F ' ' -c "SELECT count(*), extract(epoch FROM max(shipped_at) - min(shipped_at)) FROM district.events")
read -r rows span <<<"$catchup"

# ---- ship.lag: live visits, shippers caught up ----------------------------------------------------
echo "live: $RATE visits a second on each of $COMMUNITIES daemons for $LIVE s" >&2
specs=()
for d in "${daemons[@]}"; do specs+=(--daemon "$(basename "$d")=$d/d.sock"); done
before=$(count)
python3 "$root/bench/ship_load.py" "${specs[@]}" --keys "$work/keys.txt" --rate "$RATE" --seconds "$LIVE" --out "$work/acks.csv"
acked=$(wc -l < "$work/acks.csv")
until [ "$(count)" -ge $((before + acked)) ]; do sleep 0.2; done
lag=$(psql -d district -At -F ' ' <<SQL
CREATE TEMP TABLE acks (community text, seq bigint, acked_at double precision);
\copy acks FROM '$work/acks.csv' WITH (FORMAT csv)
SELECT count(*), round((percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) * 1000)::numeric, 1),
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) * 1000)::numeric, 1), round((max(lag) * 1000)::numeric, 1)
FROM (SELECT extract(epoch FROM e.shipped_at) - a.acked_at AS lag
      FROM acks a JOIN district.events e ON e.community = a.community AND e.seq = a.seq AND e.idx = 0) t;
SQL
)
read -r matched p50 p99 worst <<<"$lag"
batches=$(psql -d district -At -c "SELECT round(sum(shipped)::numeric / sum(batches), 1) FROM district.cursors")

# ---- The report ---------------------------------------------------------------------------------
mkdir -p "$out"
python3 - "$t0" "$t1" "$rows" "$span" "$matched" "$p50" "$p99" "$worst" "$batches" "$out/ship.json" <<PY
import json, sys
t0, t1, rows, span, matched, p50, p99, worst, per_batch, path = sys.argv[1:]
wall = float(t1) - float(t0)
doc = {"machine": "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')",
       "command": "bench/ship.sh $([ "$smoke" = 1 ] && echo --smoke) (COMMUNITIES=$COMMUNITIES HOUSEHOLDS=$HOUSEHOLDS FILL=$FILL RATE=$RATE LIVE=$LIVE, $config)",
       "rows": [{"id": "ship.catchup", "events": int(rows), "seconds": round(wall, 2), "events_per_second": round(int(rows) / wall),
                 "events_per_second_first_to_last_row": round(int(rows) / float(span)) if float(span) > 0 else None,
                 "rows_per_batch": float(per_batch)},
                {"id": "ship.lag", "events": int(matched), "rate_per_second": $RATE * $COMMUNITIES,
                 "lag_ms_p50": float(p50), "lag_ms_p99": float(p99), "lag_ms_max": float(worst)}]}
json.dump(doc, open(path, "w"), indent=2, ensure_ascii=False)
r = doc["rows"]
print(f"workload                                          figure")
print(f"ship.catchup ($COMMUNITIES daemons, {rows} events)        {r[0]['events_per_second']:,} events/s ({wall:.1f} s; first→last row {r[0]['events_per_second_first_to_last_row']:,}/s; {per_batch} rows/batch)")
print(f"ship.lag ($COMMUNITIES daemons × $RATE visits/s, {matched} events)  commit→row p50 {p50} ms, p99 {p99} ms, max {worst} ms")
PY
echo "results: $out/ship.json" >&2
