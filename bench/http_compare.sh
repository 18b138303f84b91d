#!/usr/bin/env bash
# http_compare.sh -- static HTTP/1.1 files: one zproto shard side by side with nginx (one
# worker, with and without sendfile), h2o (one thread) and lighttpd, under wrk.
#
#   bench/http_compare.sh                               # from anywhere, after a Release build
#   REPS=5 DUR=8 bench/http_compare.sh | tee /tmp/http.txt
#   PEERS="nginx_nosf zproto" CASES="128 close" REPS=3 bench/http_compare.sh
#
# What it does, per repetition and per peer (peers interleaved, so slow drift hits all alike):
#   * writes the peer's config into a fresh temp dir; the document root there holds 128.bin,
#     4k.bin and 1m.bin (random bytes);
#   * starts the server under `taskset -c $SRV_CPU` on 127.0.0.1:<free port>, in the foreground:
#       nginx       nginx -p D -c D/nginx.conf   master + 1 worker, access_log off, open_file_cache,
#                   keepalive_requests 1000000, tcp_nodelay on; `sendfile on; tcp_nopush on;`
#       nginx_nosf  the same with `sendfile off;`
#       h2o         h2o -c D/h2o.conf            num-threads 1, file.dir, no access log
#       lighttpd    lighttpd -D -f D/lighttpd.conf  max-keep-alive-requests 1000000
#       zproto      $ZPROTO_BIN serve http --port P --root R --shards 1 --log-level warn $ZPROTO_ARGS
#       zproto_base the same with $ZPROTO_BASE_BIN (e.g. a build of an older commit: before/after
#                   in one run)
#       nginx_tls   nginx (sendfile on) with `listen ... ssl`, TLS 1.2+1.3, TLS 1.3 suite pinned to
#                   $TLS13_SUITE (`ssl_conf_command Ciphersuites`), no session cache
#       zproto_tls  $ZPROTO_BIN serve http --tls-cert C --tls-key K --listen 127.0.0.1:P --shards 1
#                   (its default suites: see TLS13_SUITE)
#     The TLS peers use a certificate made at start with openssl: TLS_KEY=ecdsa (P-256, default)
#     or TLS_KEY=rsa (RSA-2048); every case goes to them over https (wrk's OpenSSL; wrk does not
#     resume sessions, so case close is one full handshake per request). Their ratio columns
#     compare zproto_tls with them (and the plain peers with zproto).
#   * checks the three files come back byte-exact (curl) and a missing one gives 404;
#   * per case: `wrk -t1 -c$CONNS -d${WARM}s` (warm-up), then
#     `wrk -t1 -c$CONNS -d${DUR}s --latency URL` under `taskset -c $GEN_CPU`;
#     cases: 128, 4k, 1m (keep-alive GET of that file) and close (128.bin with
#     `-H 'Connection: close'`: one request per connection);
#   * server CPU = utime+stime (+ reaped children's) from /proc/<pid>/stat of every process in
#     the server's tree (all threads are in a process's stat), read right before and after the
#     measured wrk run; srv_us_per_op = server CPU µs / requests wrk completed;
#     gen_cpu_pct = wrk's own CPU (the `times` of this shell), gen_us_per_op = wrk CPU µs per
#     request (when wrk is saturated, rps = 1e6 / gen_us_per_op: a response that costs the
#     client more lowers the rate), other_pct = the rest of the box;
#   * stops the server by PID (TERM, then KILL of its tree after 5 s).
# Optionally (IDLE_CONNS > 0) it also holds that many idle keep-alive connections (each after
# one GET, python3 on $GEN_CPU; after a 1 s wrk warm-up, so buffers and pools touched once
# are not counted) and reports the server's RSS growth (VmRSS of its tree) per connection.
#
# Knobs (environment): DUR (8 s), WARM (1 s), CONNS (64), REPS (3),
#   PEERS ("nginx nginx_nosf h2o lighttpd zproto"), CASES ("128 4k 1m close"; "" = none),
#   SRV_CPU (0), GEN_CPU (1), ZPROTO_BIN (build/release/tools/zproto), ZPROTO_ARGS (""),
#   ZPROTO_BASE_BIN (only for the peer zproto_base),
#   IDLE_CONNS (0), OUT (append RESULT lines to this file), KEEP=1 (keep the temp dir),
#   TLS_KEY (ecdsa | rsa: the TLS peers' certificate key), TLS13_SUITE (nginx_tls's TLS 1.3 suite,
#   TLS_AES_128_GCM_SHA256; zproto_tls picks by its own order: ChaCha20-Poly1305 first on a
#   wolfSSL without AES-NI, see docs/tls.md).
#   TLS rows: PEERS="nginx_tls zproto_tls" CASES="4k close" TLS_KEY=ecdsa bench/http_compare.sh
# Needs: nginx (nginx-light), h2o, lighttpd, wrk, curl, taskset, ss, python3 (idle case only),
#   openssl (TLS peers).
# As root it installs the missing Debian packages; otherwise it prints the apt-get line.
#
# Output: one `RESULT http <peer> rep=N case=C rps= p50_us= p99_us= srv_us_per_op= ...` line per
# run, then a table per case: medians over the repetitions (min..max for rps and srv µs), and
# the ratios zproto/peer (rps: higher is better for zproto when > 1; srv µs and p99: < 1 is better).
# A run in which wrk got no response at all (the server died or hung) is named under the
# table and left out of the medians.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DUR=${DUR:-8}
WARM=${WARM:-1}
CONNS=${CONNS:-64}
REPS=${REPS:-3}
PEERS=${PEERS:-"nginx nginx_nosf h2o lighttpd zproto"}
CASES=${CASES-"128 4k 1m close"}   # "" = no load cases (idle memory only)
SRV_CPU=${SRV_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
ZPROTO_BIN=${ZPROTO_BIN:-$ROOT/build/release/tools/zproto}
ZPROTO_ARGS=${ZPROTO_ARGS:-}
ZPROTO_BASE_BIN=${ZPROTO_BASE_BIN:-}
IDLE_CONNS=${IDLE_CONNS:-0}
TLS_KEY=${TLS_KEY:-ecdsa}
TLS13_SUITE=${TLS13_SUITE:-TLS_AES_128_GCM_SHA256}
OUT=${OUT:-}
case $OUT in ""|/*) ;; *) OUT=$PWD/$OUT ;; esac
case $ZPROTO_BIN in /*) ;; *) ZPROTO_BIN=$PWD/$ZPROTO_BIN ;; esac
case $ZPROTO_BASE_BIN in ""|/*) ;; *) ZPROTO_BASE_BIN=$PWD/$ZPROTO_BASE_BIN ;; esac
HZ=$(getconf CLK_TCK)

log() { echo "# $*" >&2; }
result() {
  echo "RESULT $*"
  [ -n "${RUNS:-}" ] && echo "RESULT $*" >>"$RUNS"
  [ -n "$OUT" ] && echo "RESULT $*" >>"$OUT"
  return 0
}

# ------------------------------------------------------------------ prerequisites
need_pkgs=()
for peer in $PEERS; do
  case $peer in
    nginx|nginx_nosf|nginx_tls) command -v nginx >/dev/null || need_pkgs+=(nginx-light) ;;
    h2o) command -v h2o >/dev/null || need_pkgs+=(h2o) ;;
    lighttpd) command -v lighttpd >/dev/null || need_pkgs+=(lighttpd) ;;
    zproto|zproto_tls) [ -x "$ZPROTO_BIN" ] || { echo "http_compare: $ZPROTO_BIN missing: cmake --preset release && cmake --build build/release" >&2; exit 2; } ;;
    zproto_base) [ -x "$ZPROTO_BASE_BIN" ] || { echo "http_compare: set ZPROTO_BASE_BIN for the peer zproto_base" >&2; exit 2; } ;;
    *) echo "http_compare: unknown peer $peer" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || need_pkgs+=(wrk)
case " $PEERS " in *_tls*) command -v openssl >/dev/null || need_pkgs+=(openssl) ;; esac
case $TLS_KEY in ecdsa|rsa) ;; *) echo "http_compare: TLS_KEY is ecdsa or rsa" >&2; exit 2 ;; esac
command -v curl >/dev/null || need_pkgs+=(curl)
[ "$IDLE_CONNS" -gt 0 ] && ! command -v python3 >/dev/null && need_pkgs+=(python3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  # nginx-light's and lighttpd's postinst would start a system-wide daemon: policy-rc.d 101 stops that.
  if [ "$(id -u)" = 0 ]; then
    log "installing ${need_pkgs[*]}"
    rc_made=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; rc_made=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2
    rc=$?
    [ $rc_made = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ $rc = 0 ] || { echo "http_compare: apt-get failed" >&2; exit 2; }
  else
    echo "http_compare: missing ${need_pkgs[*]}; run: sudo apt-get install ${need_pkgs[*]}" >&2
    exit 2
  fi
fi

TMP=$(mktemp -d /tmp/http_compare.XXXXXX)
chmod 755 "$TMP"
WWW=$TMP/www
mkdir -p "$WWW"
head -c 128 /dev/urandom >"$WWW/128.bin"
head -c 4096 /dev/urandom >"$WWW/4k.bin"
head -c 1048576 /dev/urandom >"$WWW/1m.bin"
chmod -R a+rX "$WWW"
RUNS=$TMP/runs.txt
: >"$RUNS"
SRV_PID=""
case " $PEERS " in
  *_tls*)
    if [ "$TLS_KEY" = rsa ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
    else
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
        -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
    fi
    chmod 644 "$TMP/key.pem" ;;
esac
scheme() { case $1 in *_tls) echo https ;; *) echo http ;; esac; }

# All pids of the process tree rooted at $1.
tree() {
  ps -e -o pid=,ppid= | awk -v r="$1" '
    { par[$1] = $2; all[NR] = $1 }
    END { keep[r] = 1; more = 1
          while (more) { more = 0
            for (i in all) { p = all[i]; if (!(p in keep) && (par[p] in keep)) { keep[p] = 1; more = 1 } } }
          for (p in keep) print p }'
}
# utime+stime+cutime+cstime in clock ticks, summed over the tree (a process's stat covers all its threads).
ticks() {
  local t=0 p v
  for p in $(tree "$1"); do
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || continue
    [ -n "$v" ] && t=$((t + v))
  done
  echo "$t"
}
rss_kb() {
  local t=0 p v
  for p in $(tree "$1"); do
    v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    [ -n "$v" ] && t=$((t + v))
  done
  echo "$t"
}
# user+sys CPU of all processes on the box, in ticks (for other_pct).
box_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# Children's CPU seconds of this shell: must run in this shell, not a subshell.
child_cpu() {
  times >"$TMP/.times"
  printf -v "$1" '%s' "$(awk 'NR == 2 { split($1, a, /[ms]/); split($2, b, /[ms]/); printf "%.3f", a[1] * 60 + a[2] + b[1] * 60 + b[2] }' "$TMP/.times")"
}

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + (RANDOM % 12000)))
    ss -Htan 2>/dev/null | awk '{ print $4 }' | grep -q ":$p\$" || { echo "$p"; return 0; }
  done
  return 1
}

stop_server() {
  local pid=$1 p i pids
  [ -n "$pid" ] || return 0
  pids=$(tree "$pid")
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  for p in $pids; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  stop_server "$SRV_PID"
  if [ "${KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {  # peer port dir -> sets SRV_PID
  local peer=$1 port=$2 d=$3 sf
  case $peer in
    nginx|nginx_nosf|nginx_tls)
      sf="sendfile on; tcp_nopush on;"
      [ "$peer" = nginx_nosf ] && sf="sendfile off;"
      local listen="listen 127.0.0.1:$port;"
      [ "$peer" = nginx_tls ] && listen="listen 127.0.0.1:$port ssl; ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_conf_command Ciphersuites $TLS13_SUITE;"
      cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  $sf tcp_nodelay on;
  open_file_cache max=1000 inactive=60s;
  keepalive_timeout 65s; keepalive_requests 1000000;
  client_body_temp_path $d/cbt; proxy_temp_path $d/pt; fastcgi_temp_path $d/ft;
  uwsgi_temp_path $d/ut; scgi_temp_path $d/st;
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  server { $listen root $WWW; }
}
EOF
      [ "$(id -u)" = 0 ] && sed -i '1a user root;' "$d/nginx.conf"
      set -- nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" ;;
    h2o)
      cat >"$d/h2o.conf" <<EOF
num-threads: 1
pid-file: $d/h2o.pid
error-log: $d/error.log
max-connections: 16384
listen:
  host: 127.0.0.1
  port: $port
hosts:
  "default":
    paths:
      /:
        file.dir: $WWW
EOF
      [ "$(id -u)" = 0 ] && echo "user: root" >>"$d/h2o.conf"
      set -- h2o -c "$d/h2o.conf" ;;
    lighttpd)
      cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$WWW"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$d/error.log"
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
server.max-fds = 16384
mimetype.assign = ( ".bin" => "application/octet-stream" )
EOF
      set -- lighttpd -D -f "$d/lighttpd.conf" ;;
    zproto|zproto_base)
      local bin=$ZPROTO_BIN
      [ "$peer" = zproto_base ] && bin=$ZPROTO_BASE_BIN
      # shellcheck disable=SC2086
      set -- "$bin" serve http --port "$port" --root "$WWW" --shards 1 --log-level warn $ZPROTO_ARGS ;;
    zproto_tls)
      # shellcheck disable=SC2086
      set -- "$ZPROTO_BIN" serve http --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --listen "127.0.0.1:$port" \
        --root "$WWW" --shards 1 --log-level warn $ZPROTO_ARGS ;;
  esac
  (cd "$d" && exec taskset -c "$SRV_CPU" "$@") >"$d/stdout" 2>"$d/stderr" </dev/null &
  SRV_PID=$!
}

wait_tcp() {  # port
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$SRV_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

sanity() {  # port scheme
  local f
  for f in 128.bin 4k.bin 1m.bin; do
    curl -s -k --noproxy '*' -o "$TMP/got" "$2://127.0.0.1:$1/$f" || return 1
    cmp -s "$TMP/got" "$WWW/$f" || { log "sanity: $f differs"; return 1; }
  done
  [ "$(curl -s -k --noproxy '*' -o /dev/null -w '%{http_code}' "$2://127.0.0.1:$1/missing.bin")" = 404 ] ||
    { log "sanity: a missing file is not 404"; return 1; }
}

# wrk --latency output -> "rps= p50_us= p90_us= p99_us= errors= non2xx= requests="
parse_wrk() {
  awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return (v + 0) * 1000; if (v ~ /[0-9]m$/) return (v + 0) * 60e6; if (v ~ /s$/) return (v + 0) * 1e6; return v + 0 }
    / +50%/ { p50 = us($2) } / +90%/ { p90 = us($2) } / +99%/ { p99 = us($2) }
    /Socket errors/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    /Non-2xx/ { n2 = $NF }
    /requests in/ { req = $1 }
    /^Requests\/sec/ { rps = $2 }
    END { printf "rps=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f errors=%d non2xx=%d requests=%d\n", rps, p50, p90, p99, err, n2, req }'
}

# Holds N idle keep-alive connections (each after one GET) until stdin closes; prints READY n.
idle_holder() {
  cat >"$TMP/idle.py" <<'EOF'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /128.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
conns, failed = [], 0
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(req)
        got = b""
        while b"\r\n\r\n" not in got or len(got) < got.index(b"\r\n\r\n") + 4 + 128:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("closed")
            got += chunk
        conns.append(s)
    except OSError:
        failed += 1
print("READY", len(conns), failed, flush=True)
sys.stdin.read()
EOF
}

run_case() {  # peer port case rep
  local peer=$1 port=$2 c=$3 rep=$4 path hdr=() t0 t1 b0 b1 g0 g1 w0 w1 res req
  path=$c.bin
  [ "$c" = close ] && { hdr=(-H "Connection: close"); path=128.bin; }
  local url="$(scheme "$peer")://127.0.0.1:$port/$path"
  timeout -k 2 $((WARM + 10)) taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${WARM}s" "${hdr[@]}" "$url" >/dev/null 2>&1
  t0=$(ticks "$SRV_PID"); b0=$(box_ticks); child_cpu g0; w0=$(date +%s.%N)
  timeout -k 2 $((DUR + 15)) taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "${hdr[@]}" "$url" >"$TMP/wrk.out" 2>&1
  w1=$(date +%s.%N); t1=$(ticks "$SRV_PID"); b1=$(box_ticks); child_cpu g1
  res=$(parse_wrk <"$TMP/wrk.out")
  req=${res##*requests=}
  local eff
  eff=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" -v req="$req" -v g0="$g0" -v g1="$g1" -v b=$((b1 - b0)) 'BEGIN {
      w = w1 - w0; if (w <= 0) w = 1; srv = d / hz
      gen = 100 * (g1 - g0) / w; oth = 100 * b / hz / w - 100 * srv / w - gen; if (oth < 0) oth = 0
      printf "srv_us_per_op=%.2f gen_us_per_op=%.2f srv_cpu_pct=%.0f gen_cpu_pct=%.0f other_pct=%.0f", (req > 0 ? srv * 1e6 / req : 0), (req > 0 ? (g1 - g0) * 1e6 / req : 0), 100 * srv / w, gen, oth }')
  result http "$peer" rep="$rep" case="$c" ${res% requests=*} $eff
}

idle_case() {  # port rep
  local r0 r1 fifo=$TMP/idle.fifo hp line
  idle_holder
  # Warm first (as after the load cases): buffers and pools touched once are not per-connection.
  timeout -k 2 10 taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d1s "http://127.0.0.1:$1/128.bin" >/dev/null 2>&1
  rm -f "$fifo"; mkfifo "$fifo"
  sleep 0.5; r0=$(rss_kb "$SRV_PID")
  taskset -c "$GEN_CPU" timeout -k 2 120 python3 "$TMP/idle.py" "$1" "$IDLE_CONNS" <"$fifo" >"$TMP/idle.out" 2>&1 &
  hp=$!
  exec 7>"$fifo"
  for _ in $(seq 1 600); do grep -q READY "$TMP/idle.out" && break; kill -0 $hp 2>/dev/null || break; sleep 0.1; done
  sleep 1; r1=$(rss_kb "$SRV_PID")
  exec 7>&-
  wait $hp 2>/dev/null
  line=$(awk '/READY/ { print "conns=" $2, "failed=" $3 }' "$TMP/idle.out")
  local n=${line#conns=}; n=${n%% *}
  result http "$peer" rep="$2" case=idleconn ${line:-conns=0 failed=0} rss_delta_kb=$((r1 - r0)) \
    bytes_per_conn=$(awk -v n="${n:-0}" -v d=$((r1 - r0)) 'BEGIN { printf "%.0f", (n > 0 ? d * 1024 / n : 0) }')
}

log "host $(uname -r), $(nproc) cpus; server cpu $SRV_CPU, wrk cpu $GEN_CPU; dur ${DUR}s conns $CONNS reps $REPS"
for rep in $(seq 1 "$REPS"); do
  for peer in $PEERS; do
    port=$(free_port); d=$TMP/$peer.$rep; mkdir -p "$d"
    start_server "$peer" "$port" "$d"
    if ! wait_tcp "$port" || ! sanity "$port" "$(scheme "$peer")"; then
      result http "$peer" rep="$rep" case=start status=FAILED
      tail -5 "$d/stderr" "$d/error.log" 2>/dev/null | sed 's/^/#   /' >&2
      stop_server "$SRV_PID"; SRV_PID=""; continue
    fi
    log "rep $rep: $peer pid $SRV_PID port $port"
    for c in $CASES; do run_case "$peer" "$port" "$c" "$rep"; done
    [ "$IDLE_CONNS" -gt 0 ] && idle_case "$port" "$rep"
    stop_server "$SRV_PID"; SRV_PID=""
  done
done

# ------------------------------------------------------------------ summary
echo
echo "## medians over $REPS repetition(s): server on CPU $SRV_CPU, wrk -t1 -c$CONNS -d${DUR}s on CPU $GEN_CPU$(case " $PEERS " in *_tls*) echo ", TLS key $TLS_KEY" ;; esac)"
for c in $CASES idleconn; do
  grep -q "case=$c " "$RUNS" || continue
  echo
  echo "case $c"
  awk -v c="$c" -v peers="$PEERS" '
    function median(arr, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
      return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
    $0 ~ "case=" c " " {
      peer = $3
      # A run without one answer (the server died or hung) is counted, not averaged in.
      if ($0 ~ / rps=0 / || $0 ~ / conns=0 /) { failed[peer]++; next }
      for (i = 4; i <= NF; i++) { split($i, kv, "="); v[peer, kv[1], ++cnt[peer, kv[1]]] = kv[2] } }
    function med(peer, key,   n, i, a) { n = cnt[peer, key]; if (!n) return ""; for (i = 1; i <= n; i++) a[i] = v[peer, key, i]; return median(a, n) }
    function rng(peer, key,   n, i, lo, hi) { n = cnt[peer, key]; lo = hi = v[peer, key, 1]
      for (i = 2; i <= n; i++) { if (v[peer, key, i] < lo) lo = v[peer, key, i]; if (v[peer, key, i] > hi) hi = v[peer, key, i] }
      return sprintf("%g..%g", lo, hi) }
    function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
    END {
      np = split(peers, P, " ")
      if (c == "idleconn") {
        printf "| peer | conns | bytes/conn (median) | range |\n|---|---:|---:|---|\n"
        for (i = 1; i <= np; i++) if (cnt[P[i], "bytes_per_conn"]) printf "| %s | %s | %.0f | %s |\n", P[i], med(P[i], "conns"), med(P[i], "bytes_per_conn"), rng(P[i], "bytes_per_conn")
        exit }
      printf "| peer | rps | rps range | p99 µs | srv µs/req | srv µs range | wrk µs/req | srv cpu %% | wrk cpu %% | other %% | zproto/peer rps | zproto/peer srv µs | zproto/peer p99 |\n"
      printf "|---|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n"
      for (i = 1; i <= np; i++) { p = P[i]; if (!cnt[p, "rps"]) continue
        # TLS peers are compared with zproto_tls, the others with zproto.
        z = (p ~ /_tls$/) ? "zproto_tls" : "zproto"
        zr = med(z, "rps"); zs = med(z, "srv_us_per_op"); zp = med(z, "p99_us")
        r = med(p, "rps"); s = med(p, "srv_us_per_op"); q = med(p, "p99_us")
        printf "| %s | %.0f | %s | %.0f | %.2f | %s | %.2f | %.0f | %.0f | %.0f | %s | %s | %s |\n", p, r, rng(p, "rps"), q, s, rng(p, "srv_us_per_op"), med(p, "gen_us_per_op"),
          med(p, "srv_cpu_pct"), med(p, "gen_cpu_pct"), med(p, "other_pct"),
          (p == z ? "-" : ratio(zr, r)), (p == z ? "-" : ratio(zs, s)), (p == z ? "-" : ratio(zp, q)) }
      for (i = 1; i <= np; i++) if (failed[P[i]]) printf "\n%s: %d run(s) without a response (server died or hung), left out\n", P[i], failed[P[i]] }' "$RUNS"
done
