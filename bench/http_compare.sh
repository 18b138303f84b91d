#!/usr/bin/env bash
# HTTP/1.1 static serving, zproto side by side with nginx (with and without sendfile), h2o and
# lighttpd in one run: ../shared/peerbench/http.sh with our server added as the peer "zproto".
# Server on CPU 0, wrk on CPU 1, loopback only; read srv_us_per_op first (see docs/perf.md).
#   bench/http_compare.sh                      # all peers, all cases
#   PEERS="nginx_nosf zproto" PB_DUR=5 bench/http_compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERBENCH="${PEERBENCH:-$ROOT/../shared/peerbench}"
BIN="${ZPROTO_BIN:-$ROOT/build/release/tools/zproto}"
[ -x "$BIN" ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
[ -f "$PEERBENCH/http.sh" ] || { echo "peerbench not found at $PEERBENCH (set PEERBENCH)" >&2; exit 1; }
export ZP_HTTP_CMD="$BIN serve http --port {port} --root {root} --shards 1 --log-level warn"
export PEERS="${PEERS:-nginx nginx_nosf h2o lighttpd zproto}"
exec bash "$PEERBENCH/http.sh"
