#!/usr/bin/env bash
# The DNS stub resolver vs c-ares: sequential A lookups of one name against Knot on loopback
# (knotd on CPU 0, the resolver on CPU 1), cached and uncached, REPEAT runs of each.
#   bench/dns_resolver_compare.sh                          # 20000 lookups, 3 runs
#   LOOKUPS=50000 REPEAT=5 bench/dns_resolver_compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH:-$ROOT/build/release/bench/zp_dns_resolver_bench}"
[ -x "$BENCH" ] || { echo "build first: cmake --preset release && cmake --build build/release --target zp_dns_resolver_bench" >&2; exit 1; }
LOOKUPS="${LOOKUPS:-20000}"
REPEAT="${REPEAT:-3}"
DIR="$(mktemp -d /tmp/zp_resolver_bench.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$DIR/db"
cat > "$DIR/resolver.test.zone" <<ZONE
\$ORIGIN resolver.test.
\$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 120
@ NS ns
ns A 127.0.0.1
www A 192.0.2.10
ZONE
cat > "$DIR/knot.conf" <<CONF
server:
    rundir: "$DIR"
    listen: 127.0.0.1@$PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$DIR/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$DIR"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: resolver.test
    file: "$DIR/resolver.test.zone"
CONF
taskset -c 0 /usr/sbin/knotd -c "$DIR/knot.conf" &
KNOT=$!
trap 'kill $KNOT 2>/dev/null; wait $KNOT 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do kdig @127.0.0.1 -p "$PORT" +short +timeout=1 www.resolver.test A >/dev/null 2>&1 && break; sleep 0.1; done
for mode in uncached cached; do
  for r in $(seq "$REPEAT"); do
    for impl in zproto cares; do
      printf 'run=%s ' "$r"
      taskset -c 1 "$BENCH" "$impl" "$mode" "127.0.0.1:$PORT" www.resolver.test "$LOOKUPS"
    done
  done
done
# Server CPU for the whole run (knotd's user+sys ticks), for the per-lookup figure.
awk '{print "knotd cpu_ticks=" $14+$15}' /proc/$KNOT/stat
