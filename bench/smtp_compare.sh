#!/usr/bin/env bash
# smtp_compare.sh — zproto's SMTP receiving server against postfix and smtp-sink, under
# ../shared/peerbench/smtp.sh (postfix's smtp-source as the load).
#
#   bench/smtp_compare.sh                    # REPS=3, one shard, cases conn and ka
#   SMTP_CASES=ka PB_DUR=5 REPS=2 bench/smtp_compare.sh
#
# peerbench pins each server to CPU 0 and smtp-source to CPU 1 and reads server CPU per
# message from /proc. zproto answers 250 only once the message is fsynced into its Maildir
# (file and directory), as postfix does before its 250; smtp-sink keeps nothing. Each
# repetition runs every peer once; the ratios compare runs made minutes apart at most.
# Prints the RESULT lines as they come, then per case the medians and the zproto/peer ratios
# (srv_us_per_op < 1 is better; msgs_s > 1 is better).
set -euo pipefail

SUITE=smtp
source "$(dirname "${BASH_SOURCE[0]}")/peerbench_reps.sh"
export PEERS="${PEERS:-postfix sink zproto}"
# smtp-source sends MAIL FROM:<a@x.test> RCPT TO:<b@y.test>: y.test is our local domain.
DEFAULT_CMD="$ZPROTO serve smtp --listen 127.0.0.1:{port} --domain y.test --maildir {spool} --shards $SHARDS --log-level warn"
export ZP_SMTP_CMD="${ZP_SMTP_CMD:-$DEFAULT_CMD}"
peerbench_reps

python3 - "$OUT" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT smtp "):
        continue
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[3:] if "=" in x)
    runs.setdefault((kv.get("case", "?"), f[2]), []).append(kv)
def med(rs, k):
    v = [float(r[k]) for r in rs if k in r and re.fullmatch(r"[0-9.]+", r[k])]
    return statistics.median(v) if v else None
print("\n## medians")
for c in sorted({c for c, _ in runs}):
    for (cc, peer), rs in sorted(runs.items()):
        if cc != c:
            continue
        vals = " ".join(f"{k}={med(rs, k):g}" for k in ("msgs_s", "srv_us_per_op", "idle_rss_kb") if med(rs, k) is not None)
        print(f"MEDIAN case={c} peer={peer} runs={len(rs)} {vals}")
    z = runs.get((c, "zproto"))
    for peer in ("postfix", "sink"):
        p = runs.get((c, peer))
        if not z or not p:
            continue
        parts = []
        for k in ("srv_us_per_op", "msgs_s"):
            a, b = med(z, k), med(p, k)
            if a is not None and b:
                parts.append(f"{k}={a / b:.2f}")
        if parts:
            print(f"RATIO case={c} zproto/{peer} {' '.join(parts)}")
PY
