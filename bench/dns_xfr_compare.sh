#!/usr/bin/env bash
# dns_xfr_compare.sh — outbound AXFR of one large zone from zproto, NSD and Knot on loopback.
#
#   bench/dns_xfr_compare.sh                  # RECORDS=200000 REPS=5
#   ZPROTO=build/release/tools/zproto RECORDS=200000 REPS=5 bench/dns_xfr_compare.sh
#
# Each server runs alone as the zone's primary, pinned to CPU 0 (NSD: 1 server process;
# Knot: 1 UDP, 1 TCP, 1 background worker; zproto: --shards 1, --allow-transfer 127.0.0.1).
# The client, pinned to CPU 1, is kdig (+noall +stat, so it still parses every message) doing
# one warm-up AXFR and then REPS AXFRs one after the other. Server CPU is the utime+stime
# delta of the server's process tree (/proc/<pid>/stat) over the REPS transfers / REPS.
# Every transfer must report the zone's record count + 1 (the closing SOA) or the run fails.
# Prints one RESULT line per peer: wall ms per AXFR (kdig's own parsing included), server CPU
# ms per AXFR, messages and bytes per AXFR. Servers are stopped by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZPROTO="${ZPROTO:-$ROOT/build/release/tools/zproto}"
RECORDS="${RECORDS:-200000}"
REPS="${REPS:-5}"
PEERS="${PEERS:-nsd knot zproto}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"

log() { printf 'dns_xfr_compare: %s\n' "$*" >&2; }
for p in nsd knotd kdig taskset python3; do command -v "$p" >/dev/null || { log "missing: $p (tools/zp installs nsd, knot, knot-dnsutils)"; exit 1; }; done
[[ -x "$ZPROTO" ]] || { log "no zproto binary at $ZPROTO (cmake --preset release && cmake --build build/release --target zproto)"; exit 1; }

WORK="$(mktemp -d /tmp/dns_xfr_compare.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ZONE=xfr.test
ZONEFILE="$WORK/$ZONE.zone"
# The zone: apex data, then hosts with an A and every fourth with a TXT and an AAAA.
python3 - "$ZONEFILE" "$ZONE" "$RECORDS" <<'PY'
import sys
out, zone, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [f"$ORIGIN {zone}.", "$TTL 3600", "@ IN SOA ns1 hostmaster 2026112601 7200 3600 1209600 300",
         "@ IN NS ns1", "@ IN NS ns2", "ns1 IN A 192.0.2.1", "ns2 IN A 192.0.2.2"]
i = 0
while len(lines) - 2 < n:
    lines.append(f"host{i} IN A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}")
    if i % 4 == 0:
        lines.append(f"host{i} IN AAAA 2001:db8::{i & 0xffff:x}")
        lines.append(f'host{i} IN TXT "host number {i} of the transfer benchmark"')
    i += 1
open(out, "w").write("\n".join(lines) + "\n")
PY
ZONE_RECORDS=$(( $(grep -c . "$ZONEFILE") - 2 ))

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tree_ticks() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit(): continue
    try: s = open(f"/proc/{d}/stat").read()
    except OSError: continue
    f = s[s.rfind(")") + 2:].split()
    procs[int(d)] = (int(f[1]), sum(int(x) for x in f[11:15]))
total, todo = 0, [root]
while todo:
    p = todo.pop()
    if p in procs: total += procs[p][1]
    todo += [c for c, (pp, _) in procs.items() if pp == p]
print(total)
PY
}
axfr() {  # port -> kdig's statistics line
  taskset -c "$LOAD_CPU" kdig @127.0.0.1 -p "$1" +timeout=30 +retry=0 +noall +stat "$ZONE" AXFR | grep ';; Received'
}

start_server() {  # peer port
  local peer=$1 port=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  case "$peer" in
    nsd)
      cat >"$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  pidfile: "$dir/nsd.pid"
  verbosity: 0
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $ZONE
  zonefile: "$ZONEFILE"
  provide-xfr: 127.0.0.1 NOKEY
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
acl:
  - id: local
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$WORK"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: $ZONE
    file: "$ZONEFILE"
    acl: local
CONF
      taskset -c "$SERVER_CPU" knotd -c "$dir/knot.conf" >"$dir/log" 2>&1 &
      ;;
    zproto)
      taskset -c "$SERVER_CPU" "$ZPROTO" serve dns --zone "$ZONE=$ZONEFILE" --listen "127.0.0.1:$port" \
        --shards 1 --allow-transfer 127.0.0.1 --log-level warn >"$dir/log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if kdig @127.0.0.1 -p "$port" +timeout=1 +retry=0 +short "$ZONE" SOA 2>/dev/null | grep -q 2026112601; then return 0; fi
    sleep 0.1
  done
  log "$peer did not answer on port $port:"; cat "$dir/log" >&2
  return 1
}

log "zone: $ZONE_RECORDS records ($(stat -c %s "$ZONEFILE") bytes of zone file), $REPS AXFRs per peer"
for peer in $PEERS; do
  port=$(free_port)
  start_server "$peer" "$port"
  first=$(axfr "$port")
  [[ "$first" == *"$((ZONE_RECORDS + 1)) records"* ]] || { log "$peer: wrong transfer: $first"; exit 1; }
  t0=$(tree_ticks "$SERVER_PID")
  start=$(date +%s%N)
  for _ in $(seq 1 "$REPS"); do
    s=$(axfr "$port")
    [[ "$s" == *"$((ZONE_RECORDS + 1)) records"* ]] || { log "$peer: wrong transfer: $s"; exit 1; }
  done
  end=$(date +%s%N)
  t1=$(tree_ticks "$SERVER_PID")
  hz=$(getconf CLK_TCK)
  msgs=$(sed -E 's/.*\(([0-9]+) messages.*/\1/' <<<"$s")
  bytes=$(sed -E 's/;; Received ([0-9]+) B.*/\1/' <<<"$s")
  python3 -c "print('RESULT peer=$peer records=$ZONE_RECORDS wall_ms=%.1f server_cpu_ms=%.1f messages=$msgs bytes=$bytes' % (($end-$start)/1e6/$REPS, ($t1-$t0)*1000.0/$hz/$REPS))"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
done
