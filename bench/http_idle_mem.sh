#!/usr/bin/env bash
# bench/http_idle_mem.sh -- memory per held connection of an HTTP server, per state (see
# http_idle_mem.py): idle keep-alive, partial head (slow client), silent; for our server and,
# when installed, nginx (one worker, the peerbench config's essentials).
#   ZPROTO=build/release/tools/zproto N=10000 REPS=2 MODES="keepalive partial" PEERS="zproto nginx" \
#     bench/http_idle_mem.sh
# Server on CPU 0, client on CPU 1. Prints the MEM lines of http_idle_mem.py, prefixed by the peer.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ZPROTO=${ZPROTO:-build/release/tools/zproto}
N=${N:-10000}
REPS=${REPS:-1}
WARM=${WARM:-1024}   # requests before the first reading (0: count first-use costs too)
MODES=${MODES:-"keepalive partial"}
PEERS=${PEERS:-"zproto nginx"}
tmp=$(mktemp -d /tmp/http_idle_mem.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/www"
head -c 128 /dev/urandom >"$tmp/www/128.bin"
chmod -R a+rX "$tmp"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

port_free() { ! ss -Htan 2>/dev/null | awk '{print $4}' | grep -q ":$1\$"; }
pick_port() { local p; for _ in $(seq 1 100); do p=$((20000 + RANDOM % 12000)); port_free "$p" && { echo "$p"; return; }; done; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# A fresh server per measurement: memory freed by one round is reused by the next one.
measure() {  # peer mode
  local peer=$1 mode=$2 port pid
  port=$(pick_port)
  case $peer in
    zproto)
      taskset -c 0 "$ZPROTO" serve http --port "$port" --root "$tmp/www" --shards 1 --log-level warn \
        >"$tmp/zp.log" 2>&1 &
      pid=$! ;;
    nginx)
      command -v nginx >/dev/null || { echo "# nginx not installed: skipped" >&2; return; }
      mkdir -p "$tmp/ng"
      cat >"$tmp/ng/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; user root; pid $tmp/ng/nginx.pid;
error_log $tmp/ng/error.log warn; worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http { access_log off; sendfile off; tcp_nodelay on; open_file_cache max=1000 inactive=60s;
  keepalive_timeout 65s; client_header_timeout 60s;
  client_body_temp_path $tmp/ng/cbt; proxy_temp_path $tmp/ng/pt; fastcgi_temp_path $tmp/ng/ft;
  uwsgi_temp_path $tmp/ng/ut; scgi_temp_path $tmp/ng/st;
  types { application/octet-stream bin; } default_type application/octet-stream;
  server { listen 127.0.0.1:$port; root $tmp/www; } }
EOF
      taskset -c 0 nginx -p "$tmp/ng" -c "$tmp/ng/nginx.conf" -e "$tmp/ng/error.log" >"$tmp/ng.log" 2>&1 &
      pid=$! ;;
    *) echo "# unknown peer $peer" >&2; return ;;
  esac
  if ! wait_port "$port"; then echo "# $peer did not start" >&2; kill "$pid" 2>/dev/null; return; fi
  taskset -c 1 /usr/bin/python3 "$here/http_idle_mem.py" --pid "$pid" --port "$port" --n "$N" --mode "$mode" \
    --warm "$WARM" |
    sed "s/^/$peer /"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

for rep in $(seq 1 "$REPS"); do
  for peer in $PEERS; do
    for mode in $MODES; do measure "$peer" "$mode"; done
  done
done
