#!/usr/bin/env bash
# compare.sh — the project's side-by-side comparison: every server suite against its peers in
# one invocation, then one summary of the zproto/peer ratios.
#
#   bench/compare.sh                          # SUITES="http dns mqtt smtp", REPS=3
#   SUITES=dns REPS=5 bench/compare.sh | tee /tmp/compare.txt
#
# Suites (each script is self-contained; see its header for the exact method and knobs):
#   http  bench/http_compare.sh  nginx (±sendfile), h2o, lighttpd under wrk
#   dns   bench/dns_compare.sh   NSD and Knot under dnsperf, UDP and TCP
#   mqtt  bench/mqtt_compare.sh  mosquitto under peerbench mqttbench (fan-in, fan-out, pairs, latency)
#   smtp  bench/smtp_compare.sh  postfix (fsync before 250) and smtp-sink under smtp-source
# Every suite pins servers to CPU 0 and the load generator to CPU 1 and measures server CPU
# per operation from /proc. REPS and DUR are passed through. The full output of each suite
# goes to stdout as it runs; the summary at the end repeats only the ratio lines.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITES="${SUITES:-http dns mqtt smtp}"
export REPS="${REPS:-3}"
OUT="$(mktemp -d /tmp/zp-compare.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

for suite in $SUITES; do
  script="$HERE/${suite}_compare.sh"
  [[ -x "$script" ]] || { echo "compare.sh: no suite '$suite' ($script)" >&2; exit 2; }
  echo "### suite $suite: $script (REPS=$REPS${DUR:+ DUR=$DUR})"
  "$script" | tee "$OUT/$suite.txt"
done

echo
echo "### summary: zproto/peer (qps, rps: > 1 is better; srv µs per op, p99: < 1 is better)"
for suite in $SUITES; do
  case $suite in
    dns | mqtt | smtp) grep -E '^(MEDIAN|RATIO)' "$OUT/$suite.txt" | sed "s/^/$suite /" ;;
    http) awk '/^## medians/ {on = 1} on' "$OUT/$suite.txt" | sed "s/^/$suite /" ;;
  esac
done
