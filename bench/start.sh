#!/usr/bin/env bash
# Start-up and footprint of the sidecar as it is shipped, today's against this checkout's, in one run:
# time from process start to the first 200 on /ready (and the CPU time until then), RSS (VmRSS, and
# RssAnon: without file mappings such as the jar and a class cache, which processes on a node share)
# after a warm-up and at its peak under wrk, wrk's reads/s meanwhile, each on a fresh process (fresh state directory) with 10 000 settings.
# Candidates run interleaved and rotated per repetition; ratios are taken within a repetition.
#
#   bench/start.sh [--reps N] [--out DIR] [--only "NAME ..."]
#
# Candidates, each started exactly as a user starts it:
#   today           the image's ENTRYPOINT line and JAVA_OPTS of BASE_REV (JDK 17 + its AppCDS archive,
#                   recorded by its Dockerfile's RUN line), on the jar built from BASE_REV
#   launcher-today  BASE_REV's bin/crossfade serve with JDK 17 on the PATH (its AppCDS archive)
#   image25         this checkout's ENTRYPOINT line and JAVA_OPTS on JDK 25, with the AOT cache
#                   recorded by its Dockerfile's RUN line
#   image25-coh     the same plus -XX:+UseCompactObjectHeaders (recorded with it too)
#   launcher17      this checkout's bin/crossfade serve with JDK 17 on the PATH (AppCDS archive)
#   launcher25      this checkout's bin/crossfade serve with JDK 25 on the PATH (AOT cache)
# The ENTRYPOINT line is run by hand as DockerfileIT runs it (sh -c, the image's ENV with its paths
# and ports swapped for temporary ones). The launchers run from copies of the checkouts, so the
# caches they record (on a first, unmeasured start) stay out of sidecar/target.
#
# Environment: BASE_REV (default 5b7af36, main before issue 31), BASE_JAR (the jar of BASE_REV;
# default: built from `git archive BASE_REV` offline), JDK17_JAVA, JDK25_JAVA, BENCH_PORT_BASE.
# Needs bench/loadgen/target/loadgen.jar (./mvnw -B -Pbench -DskipTests package -pl bench/loadgen),
# wrk and curl.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=5 OUT="" ONLY="today launcher-today image25 image25-coh launcher17 launcher25"
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
BASE_REV="${BASE_REV:-5b7af36}"
JDK17_JAVA="${JDK17_JAVA:-$(readlink -f "$(command -v java)")}"
JDK25_JAVA="${JDK25_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
LOADGEN_JAVA="$JDK17_JAVA"
[ -x "$JDK25_JAVA" ] || die "no JDK 25 at $JDK25_JAVA (set JDK25_JAVA)"
[ -f "$LOADGEN_JAR" ] || die "no $LOADGEN_JAR (./mvnw -B -Pbench -DskipTests package -pl bench/loadgen)"
KEY="bench.s00000" UNITS=10000 PORT_BASE="${BENCH_PORT_BASE:-18000}" WARM=5 LOAD=10
OUT="${OUT:-$BENCH_DIR/results/start-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d /tmp/crossfade-start.XXXXXX)"
RESULTS="$OUT/results.tsv"; : > "$RESULTS"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# 10 000 settings, the first 100 with a migration at 50 %: the shape of bench/jmh's SettingsFixture.
mkdir -p "$WORK/settings"
awk 'BEGIN {
  print "settings:"
  for (i = 0; i < 10000; i++) printf "  bench.s%05d: { value: %d, owner: team-bench }\n", i, i
  print "migrations:"
  for (i = 0; i < 100; i++) printf "  bench.s%05d: { to: %d, percent: 50, owner: bench, expected: nothing changes, rollback: set percent to 0 }\n", i, i + 1000
}' > "$WORK/settings/bench.yaml"

# Two checkouts: BASE_REV's (today) and this one, each with bin/, Dockerfile, examples and its jar.
checkout() { # DIR JAR: a copy of what the launcher and the image need
  mkdir -p "$1/sidecar/target"
  cp "$2" "$1/sidecar/target/crossfade-sidecar.jar"
}
mkdir -p "$WORK/today" "$WORK/now"
(cd "$ROOT" && git archive "$BASE_REV") | tar -x -C "$WORK/today"
if [ -z "${BASE_JAR:-}" ]; then
  log "building the jar of $BASE_REV (offline)"
  (cd "$WORK/today" && JAVA_HOME="$(dirname "$(dirname "$JDK17_JAVA")")" ./mvnw -B -o -q -DskipTests package -pl sidecar -am) >&2 \
    || die "could not build $BASE_REV"
  BASE_JAR="$WORK/today/sidecar/target/crossfade-sidecar.jar"
else
  checkout "$WORK/today" "$BASE_JAR"
fi
cp -r "$ROOT/bin" "$ROOT/Dockerfile" "$ROOT/examples" "$WORK/now/"
checkout "$WORK/now" "$SIDECAR_JAR"

# The final stage's JAVA_OPTS and ENTRYPOINT (a JSON array) of a Dockerfile.
java_opts_of() { sed -n 's/^ENV JAVA_OPTS="\(.*\)"$/\1/p' "$1"; }
entrypoint_of() { sed -n 's/^ENTRYPOINT //p' "$1" | tail -1; }

# The image's cache, recorded by its Dockerfile's RUN line: train-cds-archive JAVA JAR CACHE SETTINGS $JAVA_OPTS
# (the archive path of JAVA_OPTS becomes one under $WORK). Prints the JAVA_OPTS to run with.
image_cache() { # CHECKOUT JAVA NAME [EXTRA OPTS]
  local dir="$1" java="$2" name="$3" extra="${4:-}" opts path cache
  opts="$(java_opts_of "$dir/Dockerfile") $extra"
  path="$(tr ' ' '\n' <<<"$opts" | sed -n 's/^-XX:\(SharedArchiveFile\|AOTCache\)=//p')"
  cache="$WORK/$name.${path##*.}"
  opts="${opts//$path/$cache}"
  log "recording the class cache of $name ($cache)"
  # shellcheck disable=SC2086
  "$dir/bin/train-cds-archive" "$java" "$dir/sidecar/target/crossfade-sidecar.jar" "$cache" "$dir/examples/settings" $opts \
    > "$OUT/train-$name.log" 2>&1 || { cat "$OUT/train-$name.log" >&2; die "recording $name failed"; }
  echo "$opts"
}

declare -A CMD
ports() { echo "CROSSFADE_LISTEN=127.0.0.1:$PORT_BASE CROSSFADE_OPS_LISTEN=127.0.0.1:$((PORT_BASE + 1))"; }
# the ENTRYPOINT line with CMD ["serve"], through sh as Docker runs it, with the image's ENV
entry_cmd() { # CHECKOUT JAVA JAVA_OPTS
  local dir="$1" java="$2" opts="$3" script
  script="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[2])' "$(entrypoint_of "$dir/Dockerfile")")"
  script="${script//\/opt\/crossfade\/crossfade-sidecar.jar/$dir/sidecar/target/crossfade-sidecar.jar}"
  printf '%q ' env "PATH=$(dirname "$java"):$PATH" "JAVA_OPTS=$opts" CROSSFADE_LOG_FORMAT=json \
    "CROSSFADE_SETTINGS=$WORK/settings" sh -c "$script" crossfade serve
}
launcher_cmd() { # CHECKOUT JAVA
  printf '%q ' env "PATH=$(dirname "$2"):$PATH" "CROSSFADE_SETTINGS=$WORK/settings" "$1/bin/crossfade" serve
}
for name in $ONLY; do
  case "$name" in
    today) CMD[$name]="$(entry_cmd "$WORK/today" "$JDK17_JAVA" "$(image_cache "$WORK/today" "$JDK17_JAVA" today)")" ;;
    image25) CMD[$name]="$(entry_cmd "$WORK/now" "$JDK25_JAVA" "$(image_cache "$WORK/now" "$JDK25_JAVA" image25)")" ;;
    image25-coh) CMD[$name]="$(entry_cmd "$WORK/now" "$JDK25_JAVA" "$(image_cache "$WORK/now" "$JDK25_JAVA" image25-coh -XX:+UseCompactObjectHeaders)")" ;;
    launcher-today) CMD[$name]="$(launcher_cmd "$WORK/today" "$JDK17_JAVA")" ;;
    launcher17) CMD[$name]="$(launcher_cmd "$WORK/now" "$JDK17_JAVA")" ;;
    launcher25) CMD[$name]="$(launcher_cmd "$WORK/now" "$JDK25_JAVA")" ;;
    *) die "unknown candidate $name" ;;
  esac
done

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), repetitions: $REPS, settings: 10000, base: $BASE_REV"
  echo "git: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo ' (uncommitted changes)')"
  echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "jdk17: $("$JDK17_JAVA" -version 2>&1 | sed -n 2p)"
  echo "jdk25: $("$JDK25_JAVA" -version 2>&1 | sed -n 2p)"
  echo "load before: $(cat /proc/loadavg)"
  for name in $ONLY; do echo "command $name: ${CMD[$name]}"; done
} | tee "$OUT/machine.txt" >&2

# run TARGET REP: a fresh process (fresh state directory), as footprint_run in lib.sh
run() {
  local target="$1" rep="$2" line pid url state peak=0 peak_anon=0 now rps
  require_ports_free "$PORT_BASE" $((PORT_BASE + 1))
  state="$WORK/state-$target-$rep"
  # shellcheck disable=SC2086
  line="$(eval start_with_ready "$target" "http://127.0.0.1:$((PORT_BASE + 1))/ready" \
    env CROSSFADE_STATE="$state" $(ports) "${CMD[$target]}")"
  pid="$(field pid "$line")"
  STARTED_PIDS+=("$pid")
  url="http://127.0.0.1:$PORT_BASE/v1/settings/$KEY"
  record start ready_ms "$target" "$rep" "$(field ready_ms "$line")"
  record start ready_cpu_ms "$target" "$rep" "$(cpu_ms "$pid")"
  record start rss_ready_mib "$target" "$rep" "$(rss_mib "$pid")"
  wrk_rps "$url" "$WARM" >/dev/null
  sleep 1
  record start rss_warm_mib "$target" "$rep" "$(rss_mib "$pid")"
  record start rss_anon_warm_mib "$target" "$rep" "$(rss_mib "$pid" RssAnon)"
  wrk_rps "$url" "$LOAD" > "$WORK/load.rps" &
  local wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    now="$(rss_mib "$pid")"
    peak="$(awk -v a="$peak" -v b="$now" 'BEGIN { print (b > a ? b : a) }')"
    now="$(rss_mib "$pid" RssAnon)"
    peak_anon="$(awk -v a="$peak_anon" -v b="$now" 'BEGIN { print (b > a ? b : a) }')"
    sleep 0.5
  done
  wait "$wrk_pid" || die "wrk failed under load"
  rps="$(cat "$WORK/load.rps")"
  record start rss_load_mib "$target" "$rep" "$peak"
  record start rss_anon_load_mib "$target" "$rep" "$peak_anon"
  record start rps "$target" "$rep" "$rps"
  # every start of TARGET, in order, without the 100 "created" lines of each first start
  grep -v 'created bench\.s' "$WORK/$target.log" > "$OUT/output-$target.log" 2>/dev/null || true
  log "$target rep $rep: ready=$(field ready_ms "$line")ms rss_warm=$(rss_mib "$pid")MiB rss_load=${peak}MiB rps=$rps"
  stop_pid "$pid"
}

# the launchers record their cache on a first start, which is not measured
for name in $ONLY; do
  case "$name" in launcher*) log "first start of $name (records its cache)"; run "$name" 0 ;; esac
done
sed -i '/\t0\t[^\t]*$/d' "$RESULTS"

names=($ONLY)
n=${#names[@]}
for rep in $(seq 1 "$REPS"); do
  for k in $(seq 0 $((n - 1))); do
    run "${names[$(((k + rep) % n))]}" "$rep"
  done
done
echo "load after: $(cat /proc/loadavg)" >> "$OUT/machine.txt"

ref="${names[0]}"
{
  echo "## Measurements (median, min – max over repetitions)"
  echo
  echo "| metric | candidate | median | min – max | n |"
  echo "| --- | --- | --- | --- | --- |"
  for metric in ready_ms ready_cpu_ms rss_ready_mib rss_warm_mib rss_load_mib rss_anon_warm_mib rss_anon_load_mib rps; do
    for name in "${names[@]}"; do
      awk -F'\t' -v m="$metric" -v a="$name" '$2 == m && $3 == a { print $5 }' "$RESULTS" | sort -g \
        | awk -v m="$metric" -v a="$name" '{ v[NR] = $1 } END { if (NR) printf "| %s | %s | %.1f | %.1f – %.1f | %d |\n",
            m, a, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR], NR }'
    done
  done
  echo
  echo "## Ratios to $ref (per repetition, then median, min – max)"
  echo
  echo "| metric | candidate | median | min – max | n |"
  echo "| --- | --- | --- | --- | --- |"
  for metric in ready_ms ready_cpu_ms rss_ready_mib rss_warm_mib rss_load_mib rss_anon_warm_mib rss_anon_load_mib rps; do
    for name in "${names[@]}"; do
      [ "$name" = "$ref" ] && continue
      awk -F'\t' -v m="$metric" -v a="$name" -v b="$ref" '$2 == m && $3 == a { x[$4] = $5 } $2 == m && $3 == b { y[$4] = $5 }
          END { for (r in x) if (r in y && y[r] > 0) printf "%.4f\n", x[r] / y[r] }' "$RESULTS" | sort -g \
        | awk -v m="$metric" -v a="$name" '{ v[NR] = $1 } END { if (NR) printf "| %s | %s | %.3f | %.3f – %.3f | %d |\n",
            m, a, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR], NR }'
    done
  done
} > "$OUT/summary.md"
cat "$OUT/summary.md"
log "results in $OUT"
