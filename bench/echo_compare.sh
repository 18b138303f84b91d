#!/usr/bin/env bash
# echo_compare.sh -- the TCP echo server on io_uring vs epoll: server CPU per message and
# memory per idle connection. Loopback only; server pinned to CPU $SRV_CPU, load to $GEN_CPU.
#
#   bench/echo_compare.sh                     # from the repo root, after a Release build
#   REPS=5 DUR=8 bench/echo_compare.sh
#
# Knobs (environment):
#   BUILD     build dir holding tools/zproto and bench/zp_echo_load (default build/release)
#   REPS      repetitions; backends are interleaved within each (default 3)
#   DUR       measured seconds per case (default 5);  WARM  warm-up seconds (default 1)
#   CONNS     connection counts (default "1 64 1024");  SIZE  message bytes (default 64)
#   BACKENDS  (default "io_uring epoll")
#   IDLE_N    idle connections for the memory case (default 10000; 0 skips it)
#   IDLE_REPS repetitions of the idle case (default: REPS)
#   SRV_CPU / GEN_CPU (default 0 / 1);  OUT  file to which RESULT lines are appended
#   OTHER_MAX / RETRIES  repeat a run when other processes used > OTHER_MAX % CPU (15 / 2)
#   QUIET_WAIT  seconds to wait for other builds (ninja/cc1plus) to finish before each case (default 600)
#
# Output: one `RESULT echo ...` line per run, then `RESULT echo-median ...` lines (median and
# min..max over the repetitions), then `RESULT idle ...` lines and their medians.
# srv_us_per_op comes from the server's utime+stime (/proc/PID/stat), which zp_echo_load reads
# itself at the exact start and end of its measured window (--srv-pid), so the server CPU is
# charged to exactly the messages it counted.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/release}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
SRV=$BUILD/tools/zproto
GEN=$BUILD/bench/zp_echo_load
REPS=${REPS:-3}
DUR=${DUR:-5}
WARM=${WARM:-1}
CONNS=${CONNS-"1 64 1024"}
SIZE=${SIZE:-64}
BACKENDS=${BACKENDS:-"io_uring epoll"}
IDLE_N=${IDLE_N:-10000}
IDLE_REPS=${IDLE_REPS:-$REPS}
SRV_CPU=${SRV_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
OUT=${OUT:-}
QUIET_WAIT=${QUIET_WAIT:-600}
case $OUT in ""|/*) ;; *) OUT=$PWD/$OUT ;; esac
GEN_LIMIT=$(awk -v w="$WARM" -v d="$DUR" 'BEGIN{printf "%d", w + d + 60}')

for f in "$SRV" "$GEN"; do
  [ -x "$f" ] || { echo "echo_compare: $f missing: build Release first" >&2; exit 2; }
done

TMP=$(mktemp -d /tmp/echo_compare.XXXXXX)
RUNS=$TMP/runs.txt
: >"$RUNS"
SRV_TPID=""   # the `timeout` wrapping the server
SRV_PID=""    # the server itself

log() { echo "# $*" >&2; }
result() {
  echo "RESULT $*"
  [ -n "$OUT" ] && echo "RESULT $*" >>"$OUT"
  return 0
}

# A free TCP port below the ephemeral range.
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM % 12000) ))
    ss -Htan 2>/dev/null | awk '{print $4}' | grep -q ":$p\$" || { echo "$p"; return 0; }
  done
  return 1
}

# Busy share of the whole box (all CPUs, 0..100) over one second, from /proc/stat.
box_busy_pct() {
  local a b
  a=$(awk '$1=="cpu"{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep 1
  b=$(awk '$1=="cpu"{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN{split(a,x," "); split(b,y," "); t=y[2]-x[2]; if (t<=0) t=1; printf "%.0f", 100*(y[1]-x[1])/t}'
}

# Benchmark only when nobody is compiling or running tests (2 shared cores): wait until no
# ninja/cc1plus runs and the box is below 10% busy.
wait_quiet() {
  local i busy=0
  for i in $(seq 1 "$QUIET_WAIT"); do
    if pgrep -x 'ninja|cc1plus|ld|make' >/dev/null 2>&1; then
      busy="build"
      sleep 1
    else
      busy=$(box_busy_pct)
      [ "$busy" -lt 10 ] && return 0
    fi
    [ "$i" = 1 ] && log "the box is busy ($busy): waiting up to ${QUIET_WAIT}s"
  done
  log "WARNING: the box is still busy ($busy); figures will be noisy"
}

# /proc/stat "busy total" ticks over all CPUs (for other_pct: CPU used by neither side).
stat_ticks() { awk '$1=="cpu"{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }

# start_server BACKEND PORT: pinned, under timeout; sets SRV_TPID and SRV_PID.
start_server() {
  local backend=$1 port=$2 i
  cat >"$TMP/zproto.json" <<EOF
{ "shards": 1, "backend": "auto", "log_level": "warn",
  "echo": { "listen": ["127.0.0.1:$port"] } }
EOF
  ZP_BACKEND=$backend timeout -k 5 600 taskset -c "$SRV_CPU" "$SRV" serve --config "$TMP/zproto.json" --shards 1 \
    >"$TMP/server.out" 2>"$TMP/server.err" </dev/null &
  SRV_TPID=$!
  SRV_PID=""
  for i in $(seq 1 100); do
    SRV_PID=$(ps -o pid= --ppid "$SRV_TPID" 2>/dev/null | tr -d ' ' | head -1)
    [ -n "$SRV_PID" ] && (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    kill -0 "$SRV_TPID" 2>/dev/null || break
    sleep 0.1
  done
  log "server ($backend) did not start:"; cat "$TMP/server.err" >&2
  stop_server
  return 1
}

# SIGTERM the server (graceful stop), SIGKILL by pid after 5 s; then reap its timeout.
stop_server() {
  local i
  if [ -n "$SRV_PID" ]; then
    kill -TERM "$SRV_PID" 2>/dev/null
    for i in $(seq 1 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SRV_PID" 2>/dev/null && kill -KILL "$SRV_PID" 2>/dev/null
  fi
  if [ -n "$SRV_TPID" ]; then
    for i in $(seq 1 50); do kill -0 "$SRV_TPID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SRV_TPID" 2>/dev/null && kill -KILL "$SRV_TPID" 2>/dev/null
    wait "$SRV_TPID" 2>/dev/null
  fi
  SRV_PID=""; SRV_TPID=""
}

IDLE_TPID=""
cleanup() {
  [ -n "$IDLE_TPID" ] && kill -0 "$IDLE_TPID" 2>/dev/null && { kill -TERM "$IDLE_TPID"; wait "$IDLE_TPID" 2>/dev/null; }
  stop_server
  if [ "${KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# ---- machine ----
log "host: $(uname -r), $(nproc) cpus, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
log "server cpu $SRV_CPU, generator cpu $GEN_CPU, ${DUR}s per case (+${WARM}s warm-up), size $SIZE, reps $REPS"

# ---- throughput / CPU per message ----
run_case() {
  local backend=$1 conns=$2 port line
  wait_quiet
  port=$(free_port) || { log "no free port"; return 1; }
  start_server "$backend" "$port" || return 1
  # One short connection first so both backends start from a warmed process.
  local s0 s1
  s0=$(stat_ticks)
  line=$(timeout -k 2 "$GEN_LIMIT" taskset -c "$GEN_CPU" "$GEN" --connect 127.0.0.1:"$port" \
    --connections "$conns" --duration "$DUR" --warmup "$WARM" --size "$SIZE" --srv-pid "$SRV_PID" \
    2>"$TMP/gen.err")
  local rc=$?
  s1=$(stat_ticks)
  stop_server
  # Box CPU (in % of one CPU) used by neither the server nor the generator during the run.
  local other
  other=$(awk -v a="$s0" -v b="$s1" -v srv="$(kv srv_cpu_pct "$line")" -v gen="$(kv gen_cpu_pct "$line")" \
    -v ncpu="$(nproc)" 'BEGIN{split(a,x," "); split(b,y," "); t=y[2]-x[2]; if (t<=0) t=1
      o = ncpu*100*(y[1]-x[1])/t - srv - gen; if (o<0) o=0; printf "%.0f", o}')
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    log "generator failed (rc=$rc) backend=$backend conns=$conns: $(tail -3 "$TMP/gen.err")"
    return 1
  fi
  LAST_OTHER=$other
  result "echo backend=$backend conns=$conns rate=$(kv rate "$line") p50_us=$(kv p50_us "$line")" \
    "p99_us=$(kv p99_us "$line") srv_us_per_op=$(kv srv_us_per_op "$line")" \
    "srv_cpu_pct=$(kv srv_cpu_pct "$line") gen_cpu_pct=$(kv gen_cpu_pct "$line")" \
    "messages=$(kv messages "$line") errors=$(kv io_errors "$line") other_pct=$other"
  echo "$backend $conns $(kv rate "$line") $(kv p99_us "$line") $(kv srv_us_per_op "$line") $(kv srv_cpu_pct "$line") $(kv gen_cpu_pct "$line") $other" >>"$RUNS"
}

# A run during which other processes used more than OTHER_MAX % of a CPU is repeated (up to
# RETRIES times); the last attempt is kept either way and its other_pct is reported.
OTHER_MAX=${OTHER_MAX:-15}
RETRIES=${RETRIES:-2}
run_case_clean() {
  local a
  for a in $(seq 0 "$RETRIES"); do
    LAST_OTHER=999
    run_case "$1" "$2" || return 1
    [ "$LAST_OTHER" -le "$OTHER_MAX" ] && return 0
    [ "$a" -lt "$RETRIES" ] && { log "other processes used ${LAST_OTHER}% CPU: repeating"; sed -i '$d' "$RUNS"; }
  done
}

for rep in $(seq 1 "$REPS"); do
  # Interleave: the backend order flips every repetition.
  order=$BACKENDS
  [ $((rep % 2)) = 0 ] && order=$(echo "$BACKENDS" | tr ' ' '\n' | tac | tr '\n' ' ')
  for conns in $CONNS; do
    for backend in $order; do
      log "rep $rep: backend=$backend conns=$conns"
      run_case_clean "$backend" "$conns"
    done
  done
done

# median and range of column $3 of rows matching backend/conns (in file $4, default $RUNS)
summarize() {
  awk -v b="$1" -v c="$2" -v col="$3" '$1==b && $2==c { v[n++]=$col }
    END { if (!n) { print "-"; exit }
          for (i=0;i<n;i++) for (j=i+1;j<n;j++) if (v[j]<v[i]) { t=v[i]; v[i]=v[j]; v[j]=t }
          m = (n%2) ? v[(n-1)/2] : (v[n/2-1]+v[n/2])/2
          printf "%g(%g..%g)", m, v[0], v[n-1] }' "${4:-$RUNS}"
}
for conns in $CONNS; do
  for backend in $BACKENDS; do
    result "echo-median backend=$backend conns=$conns runs=$(awk -v b="$backend" -v c="$conns" '$1==b&&$2==c' "$RUNS" | wc -l)" \
      "rate=$(summarize "$backend" "$conns" 3) p99_us=$(summarize "$backend" "$conns" 4)" \
      "srv_us_per_op=$(summarize "$backend" "$conns" 5) srv_cpu_pct=$(summarize "$backend" "$conns" 6)" \
      "gen_cpu_pct=$(summarize "$backend" "$conns" 7) other_pct=$(summarize "$backend" "$conns" 8)"
  done
done

# ---- memory per idle connection ----
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null; }
# "anon_kb file_kb shmem_kb" (RssAnon, RssFile, RssShmem: the io_uring rings count as shmem)
rss_parts() { awk '/^RssAnon:/{a=$2} /^RssFile:/{f=$2} /^RssShmem:/{s=$2} END{print a+0, f+0, s+0}' "/proc/$1/status" 2>/dev/null; }
IDLE_RUNS=$TMP/idle.txt
: >"$IDLE_RUNS"
if [ "$IDLE_N" -gt 0 ]; then
  for rep in $(seq 1 "$IDLE_REPS"); do
    order=$BACKENDS
    [ $((rep % 2)) = 0 ] && order=$(echo "$BACKENDS" | tr ' ' '\n' | tac | tr '\n' ' ')
    for backend in $order; do
      wait_quiet
      port=$(free_port) || continue
      start_server "$backend" "$port" || continue
      # Warm the process first (a second of ping-pong on 64 connections, closed again), so
      # that one-time costs are not charged to the idle connections: the rings' pages and the
      # provided receive buffers (1024 x 4 KiB), touched one by one as the ring cycles.
      timeout -k 2 30 taskset -c "$GEN_CPU" "$GEN" --connect 127.0.0.1:"$port" --connections 64 \
        --duration 1 --warmup 0 >/dev/null 2>&1
      sleep 0.5
      r0=$(rss_kb "$SRV_PID"); m0=$(rss_parts "$SRV_PID")
      timeout -k 2 120 taskset -c "$GEN_CPU" "$GEN" --connect 127.0.0.1:"$port" --idle "$IDLE_N" --hold 20 \
        >"$TMP/idle.out" 2>"$TMP/idle.err" &
      IDLE_TPID=$!
      for i in $(seq 1 600); do
        grep -q READY "$TMP/idle.out" && break
        kill -0 "$IDLE_TPID" 2>/dev/null || break
        sleep 0.1
      done
      sleep 1
      r1=$(rss_kb "$SRV_PID"); m1=$(rss_parts "$SRV_PID")
      opened=$(sed -n 's/.*opened=\([0-9]*\).*/\1/p' "$TMP/idle.out")
      failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' "$TMP/idle.out")
      kill -TERM "$IDLE_TPID" 2>/dev/null; wait "$IDLE_TPID" 2>/dev/null; IDLE_TPID=""
      stop_server
      if [ -z "$opened" ] || [ "$opened" = 0 ] || [ -z "$r0" ] || [ -z "$r1" ]; then
        log "idle case failed for $backend: $(tail -3 "$TMP/idle.err")"
        continue
      fi
      bpc=$(awk -v a="$r0" -v b="$r1" -v n="$opened" 'BEGIN{printf "%.0f", (b-a)*1024/n}')
      result "idle backend=$backend conns=$opened failed=${failed:-0} rss_before_kb=$r0 rss_after_kb=$r1" \
        "rss_delta_kb=$((r1 - r0)) bytes_per_conn=$bpc" \
        "$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a,x," "); split(b,y," "); printf "anon_delta_kb=%d file_delta_kb=%d shmem_delta_kb=%d", y[1]-x[1], y[2]-x[2], y[3]-x[3]}')"
      echo "$backend idle $bpc" >>"$IDLE_RUNS"
    done
  done
  for backend in $BACKENDS; do
    result "idle-median backend=$backend bytes_per_conn=$(summarize "$backend" idle 3 "$IDLE_RUNS")"
  done
fi
