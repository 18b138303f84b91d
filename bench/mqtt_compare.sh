#!/usr/bin/env bash
# mqtt_compare.sh — zproto's MQTT broker against mosquitto, under ../shared/peerbench/mqtt.sh.
#
#   bench/mqtt_compare.sh                         # REPS=3, one shard, cases of peerbench
#   SHARDS=2 REPS=3 bench/mqtt_compare.sh         # the same load on two shards
#   MQTT_CASES="fanout pairs" PB_DUR=5 bench/mqtt_compare.sh
#
# peerbench pins each broker to CPU 0 and its load generator (mqttbench.c, QoS 0, 64 B
# payloads) to CPU 1, and reads server CPU per delivered message from /proc. Each repetition
# runs every peer once, so the ratios compare runs made minutes apart at most. Prints the
# RESULT lines as they come, then per case the medians and the zproto/mosquitto ratios
# (srv_us_per_op < 1 is better; msgs_s > 1 is better). A case where zproto lost or reordered
# messages is flagged: a figure that loses messages is not a result.
set -euo pipefail

SUITE=mqtt
source "$(dirname "${BASH_SOURCE[0]}")/peerbench_reps.sh"
export PEERS="${PEERS:-mosquitto zproto}"
# (Not inside ${ZP_MQTT_CMD:-...}: the "}" of {port} would end that expansion.)
DEFAULT_CMD="$ZPROTO serve mqtt --listen 127.0.0.1:{port} --shards $SHARDS --log-level warn"
export ZP_MQTT_CMD="${ZP_MQTT_CMD:-$DEFAULT_CMD}"
peerbench_reps

python3 - "$OUT" <<'EOF'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT mqtt "):
        continue
    f = line.split()
    peer = f[2]
    kv = dict(x.split("=", 1) for x in f[3:] if "=" in x)
    runs.setdefault((kv.get("case", "?"), peer), []).append(kv)
def med(rs, k):
    v = [float(r[k]) for r in rs if k in r and re.fullmatch(r"[0-9.]+", r[k])]
    return statistics.median(v) if v else None
print("\n## medians")
cases = sorted({c for c, _ in runs})
for c in cases:
    for (cc, peer), rs in sorted(runs.items()):
        if cc != c:
            continue
        keys = ["msgs_s", "srv_us_per_op", "p99_us", "lost", "reorder", "bytes_per_conn"]
        vals = " ".join(f"{k}={med(rs, k):g}" for k in keys if med(rs, k) is not None)
        print(f"MEDIAN case={c} peer={peer} runs={len(rs)} {vals}")
    z, m = runs.get((c, "zproto")), runs.get((c, "mosquitto"))
    if z and m:
        parts = []
        for k in ("srv_us_per_op", "msgs_s", "p99_us", "bytes_per_conn"):
            a, b = med(z, k), med(m, k)
            if a is not None and b:
                parts.append(f"{k}={a / b:.2f}")
        lost = sum(float(r.get("lost", 0) or 0) + float(r.get("reorder", 0) or 0) for r in z)
        flag = " LOST_OR_REORDERED" if lost and c != "flood" else ""
        print(f"RATIO case={c} zproto/mosquitto {' '.join(parts)}{flag}")
EOF
