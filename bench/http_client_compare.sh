#!/usr/bin/env bash
# The HTTP client vs libcurl: sequential keep-alive GETs against nginx on loopback (nginx on
# CPU 0, the client on CPU 1), REPEAT runs of each implementation per file size.
#   bench/http_client_compare.sh                       # 128 B and 16 KiB, 20000 requests, 3 runs
#   SIZES="128" REQUESTS=50000 REPEAT=5 bench/http_client_compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${BENCH:-$ROOT/build/release/bench/zp_http_client_bench}"
[ -x "$BENCH" ] || { echo "build first: cmake --preset release && cmake --build build/release --target zp_http_client_bench" >&2; exit 1; }
SIZES="${SIZES:-128 16384}"
REQUESTS="${REQUESTS:-20000}"
REPEAT="${REPEAT:-3}"
DIR="$(mktemp -d /tmp/zp_client_bench.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$DIR/www" "$DIR/tmp"
for s in $SIZES; do head -c "$s" /dev/urandom > "$DIR/www/$s.bin"; done
cat > "$DIR/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 64; }
http {
  access_log off; keepalive_requests 1000000; sendfile on; tcp_nodelay on;
  client_body_temp_path $DIR/tmp/b; proxy_temp_path $DIR/tmp/p; fastcgi_temp_path $DIR/tmp/f;
  uwsgi_temp_path $DIR/tmp/u; scgi_temp_path $DIR/tmp/s;
  server { listen 127.0.0.1:$PORT; root $DIR/www; }
}
CONF
taskset -c 0 /usr/sbin/nginx -p "$DIR" -c "$DIR/nginx.conf" &
NGINX=$!
trap 'kill $NGINX 2>/dev/null; wait $NGINX 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
for s in $SIZES; do
  for r in $(seq "$REPEAT"); do
    for impl in zproto curl; do
      printf 'size=%s run=%s ' "$s" "$r"
      taskset -c 1 "$BENCH" "$impl" "http://127.0.0.1:$PORT/$s.bin" "$REQUESTS"
    done
  done
done
