# peerbench_reps.sh — sourced by the *_compare.sh scripts that run one peerbench suite REPS
# times: the paths they share, and the loop. Set SUITE (mqtt, smtp, ...) before sourcing;
# then `peerbench_reps` runs $PEERBENCH/$SUITE.sh REPS times, its output to stdout and $OUT.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZPROTO="${ZPROTO:-$ROOT/build/release/tools/zproto}"
PEERBENCH="${PEERBENCH:-$ROOT/../shared/peerbench}"
REPS="${REPS:-3}"
SHARDS="${SHARDS:-1}"

peerbench_reps() {
  [[ -x "$ZPROTO" ]] || { echo "${SUITE}_compare.sh: build $ZPROTO first (cmake --build --preset release)" >&2; exit 2; }
  [[ -f "$PEERBENCH/$SUITE.sh" ]] || { echo "${SUITE}_compare.sh: no $PEERBENCH/$SUITE.sh" >&2; exit 2; }
  OUT="$(mktemp "/tmp/zp-$SUITE-compare.XXXXXX")"
  trap 'rm -f "$OUT"' EXIT
  for ((rep = 1; rep <= REPS; rep++)); do
    echo "### repetition $rep/$REPS (shards=$SHARDS)"
    bash "$PEERBENCH/$SUITE.sh" | tee -a "$OUT"
  done
}
