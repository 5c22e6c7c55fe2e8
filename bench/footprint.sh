#!/usr/bin/env bash
# Footprint and start-up of JVM flag sets, each on a fresh process: time to ready, RSS after a warm-up
# and at its peak under wrk, wrk's rate meanwhile; candidates interleaved and rotated per repetition,
# so each ratio compares processes measured minutes apart under the same machine load.
#
#   bench/footprint.sh [--reps N] [--nmt] [--pin] [--out DIR] [--settings N] CANDIDATE...
#
# CANDIDATE is NAME|KIND|JAVA|JVM OPTS[|ENV], KIND sidecar or bare, ENV as VAR=VALUE ... (e.g.
# MALLOC_ARENA_MAX=2), set for the server process only. "@CDS" in the options stands for
# -XX:SharedArchiveFile= of an archive trained for that candidate first: the sidecar's with
# bin/train-cds-archive on the bundled examples (as the image and bin/crossfade do), the bare server's
# by a run that answers reads before it stops. --nmt adds one more repetition with
# -XX:NativeMemoryTracking=summary whose jcmd summaries land in OUT/nmt-NAME-REP.txt (not in the
# RSS figures: NMT costs memory of its own). --pin runs every server on CPU 0 and wrk and the load
# generator on CPU 1. Needs the jars of ./mvnw -B -Pbench -DskipTests package.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=5 NMT=0 OUT="" SETTINGS_COUNT=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --nmt) NMT=1 ;;
    --pin) SERVER_TASKSET="taskset -c 0"; LOAD_TASKSET="taskset -c 1" ;;
    --out) OUT="$2"; shift ;;
    --settings) SETTINGS_COUNT="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    --*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[ $# -gt 0 ] || die "no candidates (see --help)"
JDK17_JAVA="${JDK17_JAVA:-$(command -v java)}"
LOADGEN_JAVA="$JDK17_JAVA"
KEY="bench.s00000" UNITS=10000 PORT_BASE="${BENCH_PORT_BASE:-18000}" FOOT_WARM=5 FOOT_LOAD=10
OUT="${OUT:-$BENCH_DIR/results/footprint-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d /tmp/crossfade-footprint.XXXXXX)"
RESULTS="$OUT/results.tsv"; : > "$RESULTS"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), repetitions: $REPS, settings: $SETTINGS_COUNT"
  echo "pinning: servers '${SERVER_TASKSET:-none}', load '${LOAD_TASKSET:-none}'"
  echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo ' (uncommitted changes)')"
  echo "load before: $(cat /proc/loadavg)"
  printf 'candidate: %s\n' "$@"
} | tee "$OUT/machine.txt" >&2

"$JDK17_JAVA" -cp "$JMH_JAR" io.crossfade.bench.jmh.SettingsFixture "$WORK/settings" "$SETTINGS_COUNT" 100
# the bytes the bare server answers: the sidecar's for the benchmarked key
line="$(start_sidecar capture "$JDK17_JAVA" "-XX:+UseSerialGC" $((PORT_BASE + 40)))"
curl -fsS -D "$WORK/raw.headers" -o "$WORK/response.json" "http://127.0.0.1:$((PORT_BASE + 40))/v1/settings/$KEY?unit=u-0"
grep -i -E '^(etag|x-crossfade-variant):' "$WORK/raw.headers" | tr -d '\r' > "$WORK/response.headers"
stop_pid "$(field pid "$line")"

# train_bare JAVA OPTS ARCHIVE: the bare server records the classes it loaded while answering reads.
train_bare() {
  local port=$((PORT_BASE + 30)) line
  # shellcheck disable=SC2086
  line="$(start_bare cds-bare "$1" "$2 -XX:ArchiveClassesAtExit=$3 -Xlog:cds=off" "$port")"
  wrk_rps "http://127.0.0.1:$port/v1/settings/$KEY" 1 >/dev/null
  stop_pid "$(field pid "$line")"
}

# resolve "@CDS" of each candidate into an archive trained with the candidate's other flags
declare -a NAMES KINDS JAVAS OPTS ENVS
for c in "$@"; do
  IFS='|' read -r name kind java opts envs <<<"$c"
  [ "$java" = java ] && java="$JDK17_JAVA"
  if [[ " $opts " == *" @CDS "* ]]; then
    base="${opts//@CDS/}"
    archive="$WORK/$name.jsa"
    log "training the CDS archive of $name"
    if [ "$kind" = sidecar ]; then
      # shellcheck disable=SC2086
      "$ROOT/bin/train-cds-archive" "$java" "$SIDECAR_JAR" "$archive" "$ROOT/examples/settings" $base
    else
      train_bare "$java" "$base" "$archive"
    fi
    opts="${opts//@CDS/-XX:SharedArchiveFile=$archive}"
  fi
  NAMES+=("$name"); KINDS+=("$kind"); JAVAS+=("$java"); OPTS+=("$opts"); ENVS+=("$envs")
done

n=${#NAMES[@]}
last=$REPS
[ "$NMT" = 1 ] && last=$((REPS + 1))
for rep in $(seq 1 "$last"); do
  section=footprint nmt=""
  if [ "$rep" -gt "$REPS" ]; then section=nmt nmt=" -XX:NativeMemoryTracking=summary"; fi
  for k in $(seq 0 $((n - 1))); do
    i=$(((k + rep) % n))
    pinning="$SERVER_TASKSET"
    [ -n "${ENVS[$i]}" ] && SERVER_TASKSET="$SERVER_TASKSET env ${ENVS[$i]}"
    footprint_run "$section" "${NAMES[$i]}" "$rep" "${KINDS[$i]}" "${JAVAS[$i]}" "${OPTS[$i]}$nmt"
    SERVER_TASKSET="$pinning"
  done
done
echo "load after: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
# per repetition: each candidate / the reference (the first bare candidate), then median (min - max)
ref=""
for i in $(seq 0 $((n - 1))); do [ "${KINDS[$i]}" = bare ] && { ref="${NAMES[$i]}"; break; }; done
{
  "$BENCH_DIR/summarize.sh" "$RESULTS" | sed '/^## Ratios/,$d'
  if [ -n "$ref" ]; then
    echo "## Ratios to $ref (per repetition, then median, min – max)"
    echo
    echo "| metric | candidate | median | min – max | n |"
    echo "| --- | --- | --- | --- | --- |"
    for metric in ready_ms ready_cpu_ms rss_warm_mib rss_load_mib rss_anon_warm_mib rps; do
      for name in "${NAMES[@]}"; do
        [ "$name" = "$ref" ] && continue
        awk -F'\t' -v m="$metric" -v a="$name" -v b="$ref" '$1 == "footprint" && $2 == m && $3 == a { x[$4] = $5 }
            $1 == "footprint" && $2 == m && $3 == b { y[$4] = $5 }
            END { for (r in x) if (r in y && y[r] > 0) printf "%.4f\n", x[r] / y[r] }' "$RESULTS" | sort -g \
          | awk -v m="$metric" -v a="$name" '{ v[NR] = $1 } END { if (NR) printf "| %s | %s | %.3f | %.3f – %.3f | %d |\n",
              m, a, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR], NR }'
      done
    done
  fi
} > "$OUT/summary.md"
cat "$OUT/summary.md"
log "results in $OUT"
