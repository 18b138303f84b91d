#!/usr/bin/env bash
# dns_compare.sh — zproto's authoritative DNS server against NSD and Knot on loopback.
#
#   bench/dns_compare.sh                       # REPS=3 DUR=8 MODES="udp tcp"
#   ZPROTO=build/release/tools/zproto REPS=3 bench/dns_compare.sh
#   PEERS="knot zproto zproto_rrl" DNSSEC=1 bench/dns_compare.sh   # NSEC3-signed zone, DO set
#
# zproto_rrl is zproto with response rate limiting on (--rrl RRL_RPS, default 1000000: every
# response is accounted but none is limited, so the row shows what the accounting costs).
# DNSSEC=1 signs the zone with ldns-signzone -n (NSEC3, 1 iteration, salt) and sends every
# query with DO (dnsperf -D): NXDOMAIN and NODATA answers then carry NSEC3 proofs.
#
# Each server runs alone, pinned to CPU 0 (NSD: 1 server process; Knot: 1 UDP worker, 1 TCP
# worker, 1 background worker; zproto: --shards 1); dnsperf runs pinned to CPU 1 (-T 1 -c 8
# -q 64 -t 1, after a 1 s warm-up). Server CPU is the utime+stime delta of the server's
# process tree from /proc/<pid>/stat during the measured run, divided by the queries
# completed. Prints one RESULT line per run, then medians and zproto/peer ratios.
# Installs nsd, knot and dnsperf from Debian when missing (as root). Servers are stopped by
# PID. Self-contained: writes its own zone and query file in a temporary directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZPROTO="${ZPROTO:-$ROOT/build/release/tools/zproto}"
REPS="${REPS:-3}"
DUR="${DUR:-8}"
MODES="${MODES:-udp tcp}"
PEERS="${PEERS:-nsd knot zproto}"
CLIENTS="${CLIENTS:-8}"
DNSSEC="${DNSSEC:-0}"
RRL_RPS="${RRL_RPS:-1000000}"
OUTSTANDING="${OUTSTANDING:-64}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"

log() { printf 'dns_compare: %s\n' "$*" >&2; }

need=()
command -v nsd >/dev/null || need+=(nsd)
command -v knotd >/dev/null || need+=(knot)
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v dig >/dev/null || need+=(dnsutils)
if [[ "$DNSSEC" == 1 ]]; then command -v ldns-signzone >/dev/null || need+=(ldnsutils); fi
if ((${#need[@]})); then
  if [[ "$(id -u)" != 0 ]]; then
    log "missing: ${need[*]} — run as root or: apt-get install -y ${need[*]}"
    exit 1
  fi
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
[[ -x "$ZPROTO" ]] || { log "no zproto binary at $ZPROTO (cmake --preset release && cmake --build build/release --target zproto)"; exit 1; }

WORK="$(mktemp -d /tmp/dns_compare.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ZONE=bench.test
ZONEFILE="$WORK/$ZONE.zone"
QFILE="$WORK/queries.txt"

# The zone: 1000 hosts, the usual apex data, a CNAME, a wildcard.
{
  echo "\$ORIGIN $ZONE."
  echo "\$TTL 3600"
  echo "@ IN SOA ns1 hostmaster 2026112601 7200 3600 1209600 300"
  echo "@ IN NS ns1"
  echo "@ IN NS ns2"
  echo "@ IN MX 10 mail"
  echo "@ IN TXT \"v=spf1 -all\""
  echo "ns1 IN A 192.0.2.1"
  echo "ns2 IN A 192.0.2.2"
  echo "mail IN A 192.0.2.3"
  echo "mail IN AAAA 2001:db8::3"
  echo "www IN A 192.0.2.10"
  echo "www IN AAAA 2001:db8::10"
  echo "web IN CNAME www"
  echo "*.apps IN A 192.0.2.20"
  for i in $(seq 1 1000); do echo "host$i IN A 10.$((i / 256)).$((i % 256)).1"; done
} >"$ZONEFILE"

DNSPERF_DO=()
if [[ "$DNSSEC" == 1 ]]; then
  (
    cd "$WORK"
    ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$ZONE")
    zsk=$(ldns-keygen -a ECDSAP256SHA256 "$ZONE")
    ldns-signzone -n -s ABCDEF -t 1 -f "$ZONEFILE.signed" -o "$ZONE" "$ZONEFILE" "$ksk" "$zsk"
  )
  ZONEFILE="$ZONEFILE.signed"
  DNSPERF_DO=(-D)
fi

# Queries (fixed seed): 60% hostN A, 12% apex/www/mail/CNAME, 20% NXDOMAIN, 4% NODATA, 4% wildcard.
python3 - "$QFILE" "$ZONE" <<'PY'
import random, sys
out, zone = sys.argv[1], sys.argv[2]
r = random.Random(4)
fixed = [f"{zone} SOA", f"{zone} NS", f"{zone} MX", f"{zone} TXT", f"www.{zone} A", f"www.{zone} AAAA",
         f"web.{zone} A", f"mail.{zone} AAAA", f"ns1.{zone} A"]
lines = []
for _ in range(4000):
    x = r.random()
    if x < 0.60: lines.append(f"host{r.randint(1, 1000)}.{zone} A")
    elif x < 0.72: lines.append(r.choice(fixed))
    elif x < 0.92: lines.append(f"nx{r.randint(1, 100000)}.{zone} A")
    elif x < 0.96: lines.append(f"host{r.randint(1, 1000)}.{zone} AAAA")
    else: lines.append(f"a{r.randint(1, 1000)}.apps.{zone} A")
open(out, "w").write("\n".join(lines) + "\n")
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# utime+stime (+ children's) of pid and its descendants, in clock ticks.
tree_ticks() {
  local root=$1
  python3 - "$root" <<'PY'
import os, sys
root = int(sys.argv[1])
procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit(): continue
    try:
        s = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    f = s[s.rfind(")") + 2:].split()
    procs[int(d)] = (int(f[1]), sum(int(x) for x in f[11:15]))  # ppid; utime stime cutime cstime
total, todo = 0, [root]
while todo:
    p = todo.pop()
    if p in procs: total += procs[p][1]
    todo += [c for c, (pp, _) in procs.items() if pp == p]
print(total)
PY
}

wait_ready() {  # port
  for _ in $(seq 1 100); do
    if dig @127.0.0.1 -p "$1" "www.$ZONE" A +short +time=1 +tries=1 2>/dev/null | grep -q 192.0.2.10 &&
       dig @127.0.0.1 -p "$1" "www.$ZONE" A +short +tcp +time=1 +tries=1 2>/dev/null | grep -q 192.0.2.10; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_server() {  # peer port -> SERVER_PID
  local peer=$1 port=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  case "$peer" in
    nsd)
      cat >"$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  do-ip6: no
  server-count: 1
  tcp-count: 256
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  pidfile: "$dir/nsd.pid"
  verbosity: 0
  hide-version: yes
  rrl-ratelimit: 0            # Debian's NSD has RRL on (200 qps per /24): it would drop the load
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $ZONE
  zonefile: "$ZONEFILE"
CONF
      taskset -c "$SERVER_CPU" nsd -d -c "$dir/nsd.conf" >"$dir/log" 2>&1 &
      ;;
    knot)
      mkdir -p "$dir/run" "$dir/storage"
      cat >"$dir/knot.conf" <<CONF
server:
    rundir: "$dir/run"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$dir/storage"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$WORK"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $ZONE
    file: "$ZONEFILE"
CONF
      taskset -c "$SERVER_CPU" knotd -c "$dir/knot.conf" >"$dir/log" 2>&1 &
      ;;
    zproto)
      taskset -c "$SERVER_CPU" "$ZPROTO" serve dns --zone "$ZONE=$ZONEFILE" --listen "127.0.0.1:$port" \
        --shards 1 --log-level warn >"$dir/log" 2>&1 &
      ;;
    zproto_rrl)
      taskset -c "$SERVER_CPU" "$ZPROTO" serve dns --zone "$ZONE=$ZONEFILE" --listen "127.0.0.1:$port" \
        --shards 1 --log-level warn --rrl "$RRL_RPS" >"$dir/log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  if ! wait_ready "$port"; then
    log "$peer did not answer on port $port:"; cat "$dir/log" >&2
    return 1
  fi
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

RESULTS="$WORK/results"
: >"$RESULTS"
HZ=$(getconf CLK_TCK)
log "zproto: $ZPROTO; $REPS reps x ${DUR}s; dnsperf -T 1 -c $CLIENTS -q $OUTSTANDING; server CPU $SERVER_CPU, load CPU $LOAD_CPU"
for rep in $(seq 1 "$REPS"); do
  for peer in $PEERS; do
    port=$(free_port)
    start_server "$peer" "$port"
    for mode in $MODES; do
      taskset -c "$LOAD_CPU" dnsperf -m "$mode" -s 127.0.0.1 -p "$port" -d "$QFILE" -l 1 -T 1 -c "$CLIENTS" \
        -q "$OUTSTANDING" -t 1 "${DNSPERF_DO[@]}" >/dev/null 2>&1 || true
      t0=$(tree_ticks "$SERVER_PID")
      taskset -c "$LOAD_CPU" dnsperf -m "$mode" -s 127.0.0.1 -p "$port" -d "$QFILE" -l "$DUR" -T 1 -c "$CLIENTS" \
        -q "$OUTSTANDING" -t 1 "${DNSPERF_DO[@]}" >"$WORK/dp.out" 2>&1
      t1=$(tree_ticks "$SERVER_PID")
      completed=$(awk '/Queries completed:/ {print $3}' "$WORK/dp.out")
      lost=$(awk '/Queries lost:/ {print $3}' "$WORK/dp.out")
      qps=$(awk '/Queries per second:/ {print $4}' "$WORK/dp.out")
      noerror=$(grep -o 'NOERROR [0-9]*' "$WORK/dp.out" | awk '{print $2}' || true)
      nx=$(grep -o 'NXDOMAIN [0-9]*' "$WORK/dp.out" | awk '{print $2}' || true)
      us=$(python3 -c "print(f'{($t1 - $t0) * 1e6 / $HZ / max(1, ${completed:-0}):.2f}')")
      echo "RESULT peer=$peer mode=$mode rep=$rep qps=${qps%.*} srv_us_per_query=$us completed=$completed lost=$lost noerror=${noerror:-0} nxdomain=${nx:-0}" |
        tee -a "$RESULTS"
    done
    stop_server
  done
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()[1:]) for line in open(sys.argv[1]) if line.startswith("RESULT")]
med = {}
for peer in sorted({r["peer"] for r in rows}):
    for mode in sorted({r["mode"] for r in rows}):
        rs = [r for r in rows if r["peer"] == peer and r["mode"] == mode]
        if not rs: continue
        q = statistics.median(float(r["qps"]) for r in rs)
        u = statistics.median(float(r["srv_us_per_query"]) for r in rs)
        med[(peer, mode)] = (q, u)
        print(f"MEDIAN peer={peer} mode={mode} runs={len(rs)} qps={q:.0f} srv_us_per_query={u:.2f}")
for mode in sorted({m for _, m in med}):
    if ("zproto", mode) not in med: continue
    zq, zu = med[("zproto", mode)]
    for peer in ("nsd", "knot"):
        if (peer, mode) in med:
            pq, pu = med[(peer, mode)]
            print(f"RATIO mode={mode} zproto/{peer} qps={zq / pq:.2f} srv_us_per_query={zu / pu:.2f}")
    if ("zproto_rrl", mode) in med:
        rq, ru = med[("zproto_rrl", mode)]
        print(f"RATIO mode={mode} zproto_rrl/zproto qps={rq / zq:.2f} srv_us_per_query={ru / zu:.2f}")
PY
