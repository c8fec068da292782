#!/usr/bin/env bash
# run.sh: the scale benchmark. For synthetic companies of 10,000 and 100,000 people
# (bench/gen_company.lua) against the Microsoft Graph simulator (hrsync-sim, its own process, so
# the engine's peak memory is the engine's), prints the cost of each phase of a cycle — source
# read, policy (µs per person), directory read, plan — and of a cycle in which nothing changed,
# with CPU time and peak RSS; then the latency of an HR change to the directory in daemon mode.
#
#   bench/run.sh [BUILD_DIR]          default: build;  SIZES="10000 100000" to choose sizes,
#                                     INITIAL=1000 (0: none), LATENCY_PEOPLE, LATENCY_INTERVAL=5
#
# For each size the simulator is seeded directly with the accounts the plan would create
# (bench_cycle seed), a first cycle links them (writing nothing: they carry their employeeId),
# and two cycles follow in which nothing changed: a full reconcile, which runs the policy for
# everyone and plans in full (and records that it found nothing to do), and an incremental cycle
# as the daemon runs between full reconciles, which finds its inputs unchanged (the CSV's digest,
# an empty /users/delta round, the managed groups) and reuses that plan (engine/engine_settle.c).
# The directory is read through /users/delta (directory.delta = true), as it should be for a
# tenant of this size. The write path is measured apart: an
# initial sync of INITIAL people (default 1,000) sent for real through $batch to the simulator
# with its write throttling off (a real tenant allows ~20 writes/s).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
SIZES=${SIZES-"10000 100000"}
LATENCY_INTERVAL=${LATENCY_INTERVAL:-5}
BIN=$BUILD/hrsync
SIM=$BUILD/hrsync-sim
BENCH=$BUILD/bench_cycle
for p in "$BIN" "$SIM" "$BENCH"; do [ -x "$p" ] || { echo "run.sh: $p is missing; build first" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/hrsync-bench-XXXXXX)
export HRSYNC_BENCH_SECRET="bench-secret-$$"
export HRSYNC_NOW=2026-12-01
SIM_PID=""
DAEMON_PID=""
cleanup() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null || true
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

start_sim() { # start_sim SEED [FAULT…]: starts hrsync-sim, sets SIM_URL
    local seed=$1; shift
    local args=()
    for f in "$@"; do args+=(--fault "$f"); done
    "$SIM" --seed "$seed" --tenant example.com --client-secret-env HRSYNC_BENCH_SECRET "${args[@]}" >"$WORK/sim.out" 2>&1 &
    SIM_PID=$!
    for _ in $(seq 1 600); do
        SIM_URL=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$WORK/sim.out")
        [ -n "$SIM_URL" ] && return 0
        sleep 0.1
    done
    echo "run.sh: the simulator did not start: $(cat "$WORK/sim.out")" >&2
    exit 1
}

stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""; }

sim_writes() { curl -s "$SIM_URL/_sim/stats" | sed -n 's/.*"writes": *\([0-9]*\).*/\1/p'; }

write_config() { # write_config DIR [EXTRA]
    cat >"$1/config.lua" <<EOF
return {
  source = { type = "csv", path = "people.csv" },
  directory = {
    tenant = "example.com",
    client_id = "00000000-0000-0000-0000-00000000b001",
    client_secret_env = "HRSYNC_BENCH_SECRET",
    graph_url = "$SIM_URL/v1.0",
    login_url = "$SIM_URL",
    timeout = 600,
    delta = true,
  },
  policy = "$PWD/bench/policy.lua",
  state = "state.db",
  guardrails = { max_disable = false, max_disable_ratio = false, max_quarantined = false,
                 max_quarantined_ratio = false, max_group_remove = false, max_rename = false },
  ${2:-}
}
EOF
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"
INITIAL=${INITIAL:-1000}
if [ "$INITIAL" -gt 0 ]; then
    D=$WORK/initial
    mkdir -p "$D"
    lua5.4 bench/gen_company.lua "$INITIAL" "$D" >/dev/null
    echo "== initial sync of $INITIAL people (every operation sent) =="
    start_sim "$D/directory-base.json" throttle_writes=0
    write_config "$D"
    (cd "$D" && "$BENCH" cycle config.lua "initial sync") | tee -a "$D/out"
    grep '^BENCH' "$D/out" | sed "s/^BENCH/$INITIAL/" >>"$RESULTS"
    stop_sim
fi
for N in $SIZES; do
    D=$WORK/$N
    mkdir -p "$D"
    lua5.4 bench/gen_company.lua "$N" "$D" >/dev/null
    echo "== $N people =="
    start_sim "$D/directory-base.json"
    write_config "$D"
    (cd "$D" && "$BENCH" seed config.lua "$SIM_URL" "$D/seed.json")
    stop_sim
    rm -f "$D"/state.db*            # the first cycle starts from a new state file
    start_sim "$D/seed.json"
    write_config "$D"
    (cd "$D" && "$BENCH" cycle config.lua "first cycle (links)") | tee -a "$D/out"
    before=$(sim_writes)
    (cd "$D" && "$BENCH" cycle config.lua "unchanged, full") | tee -a "$D/out"
    (cd "$D" && "$BENCH" cycle config.lua "unchanged, incr." incremental) | tee -a "$D/out"
    after=$(sim_writes)
    echo "simulator: $((after - before)) writes received during the two cycles in which nothing changed"
    grep '^BENCH' "$D/out" | sed "s/^BENCH/$N/" >>"$RESULTS"
    stop_sim
done

echo
echo "Phase costs (wall / CPU seconds; policy also in µs CPU per person; RSS = peak of the process)"
printf "%-7s %-20s %13s %13s %7s %13s %13s %8s %13s %13s %6s %6s %7s\n" people cycle "source read" "policy" "µs/pers" \
    "dir. read" "plan build" "fp+save" "planning" "whole cycle" ops writes "RSS MB"
while IFS=$'\t' read -r n label people sw sc pw pc pu dw dc lw lc fs plw plc cw cc ops writes rss; do
    printf "%-7s %-20s %6s/%-6s %6s/%-6s %7s %6s/%-6s %6s/%-6s %8s %6s/%-6s %6s/%-6s %6s %6s %7s\n" "$n" "$label" "$sw" "$sc" \
        "$pw" "$pc" "$pu" "$dw" "$dc" "$lw" "$lc" "$fs" "$plw" "$plc" "$cw" "$cc" "$ops" "$writes" "$rss"
done <"$RESULTS"

# HR change -> directory latency in daemon mode: a company of LATENCY_PEOPLE (default: the smallest
# size) already in step; one person's job title changes in the CSV; time until the simulator
# shows it.
N=${LATENCY_PEOPLE:-$(echo "$SIZES" | tr ' ' '\n' | sort -n | head -1)}
D=$WORK/latency
mkdir -p "$D"
lua5.4 bench/gen_company.lua "$N" "$D" >/dev/null
start_sim "$D/directory-base.json"
write_config "$D"
(cd "$D" && "$BENCH" seed config.lua "$SIM_URL" "$D/seed.json" >/dev/null)
stop_sim
rm -f "$D"/state.db*
start_sim "$D/seed.json"
write_config "$D" "schedule = { interval = $LATENCY_INTERVAL, jitter = 0 }, http = false,"
(cd "$D" && exec "$BIN" -c config.lua run --log-level info >"$D/daemon.log" 2>&1) &
DAEMON_PID=$!
for _ in $(seq 1 600); do grep -q "next cycle at" "$D/daemon.log" && break; sleep 0.1; done
target=$(sed -n '3p' "$D/people.csv" | cut -d, -f1)
sed -i "3s/,Head of [A-Za-z ]*,/,Chief Benchmark Officer,/" "$D/people.csv"
changed=$(date +%s.%N)
seen=""
for _ in $(seq 1 1200); do
    if curl -s "$SIM_URL/_sim/state" | grep -q '"jobTitle": *"Chief Benchmark Officer"'; then seen=$(date +%s.%N); break; fi
    sleep 0.05
done
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=""
stop_sim
echo
if [ -n "$seen" ]; then
    printf "HR change to directory in daemon mode (%s people, interval %s s): %.1f s (person %s)\n" "$N" \
        "$LATENCY_INTERVAL" "$(awk "BEGIN { print $seen - $changed }")" "$target"
else
    echo "HR change to directory in daemon mode: not seen within 60 s"
fi
grep -E "cycle [0-9]+ done" "$D/daemon.log" | tail -3
