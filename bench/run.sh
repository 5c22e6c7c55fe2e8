#!/usr/bin/env bash
# Crossfade benchmarks, end to end: builds the jars, installs wrk and nginx if missing, generates
# 10 000 settings with 100 running migrations, and measures the sidecar against a bare Vert.x server
# and nginx in the same run. See bench/README.md.
#
#   bench/run.sh --smoke                 # seconds per step, 1 repetition: proves the harness works
#   bench/run.sh --wait-quiet            # the real run (about 25 minutes), once the machine is idle
#   bench/run.sh --only "throughput latency" --reps 3
#   bench/run.sh --pin ...               # servers on CPU 0, wrk and the load generator on CPU 1
#   bench/run.sh --latency-rate 10000 ...  # the latency section's open-loop rate (default: half of
#                                        # the bare server's saturation; pinned on 2 cores, more
#                                        # than one load-generator core can send without queueing)
#
# Sections: throughput latency footprint flags jmh ofrep (default: all). Results: one line per measurement
# in OUT/results.tsv (section, metric, target, repetition, value) and the medians and ratios in
# OUT/summary.md; OUT defaults to bench/results/<date-time>.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMOKE=0
REPS=5
SECTIONS="throughput latency footprint flags jmh ofrep"
OUT=""
BUILD=1
WAIT_QUIET=0
LATENCY_RATE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --reps) REPS="$2"; shift ;;
    --only) SECTIONS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --wait-quiet) WAIT_QUIET=1 ;;
    --latency-rate) LATENCY_RATE="$2"; shift ;;
    --pin) SERVER_TASKSET="taskset -c 0"; LOAD_TASKSET="taskset -c 1" ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done

JDK17_JAVA="${JDK17_JAVA:-$(command -v java)}"
JDK25_JAVA="${JDK25_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
LOADGEN_JAVA="$JDK17_JAVA"
# The JVM flags both servers run with in the comparisons: the image's JAVA_OPTS (read from the
# Dockerfile, so the two never drift apart), with -XX:MaxRAM emulating the 192 MiB memory limit of
# the README's Kubernetes example, since this machine has no container limit for the JVM to read.
# The image's cache path is left out: a class cache (AOT or AppCDS) changes start-up, not the steady state these
# sections measure; bench/footprint.sh measures the sidecar with its archive.
IMAGE_JAVA_OPTS="$(sed -n 's/^ENV JAVA_OPTS="\(.*\)"$/\1/p' "$ROOT/Dockerfile" | sed -E 's/ *-XX:(SharedArchiveFile|AOTCache)=[^ ]*//')"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--XX:MaxRAM=192m $IMAGE_JAVA_OPTS}"
SETTINGS_COUNT=10000
MIGRATIONS_COUNT=100
UNITS=10000
KEY="bench.s00000"
PATH_TEMPLATE="/v1/settings/$KEY?unit={unit}"
PORT_BASE="${BENCH_PORT_BASE:-18000}"

if [ "$SMOKE" = 1 ]; then
  REPS=1; WARM=1; DUR=2; LAT_WARM=1; LAT_DUR=2; FOOT_WARM=1; FOOT_LOAD=2; FLAG_REPS=1; JMH_REPS=1
  JMH_ARGS=(-f 1 -wi 1 -i 1 -w 200ms -r 200ms)
else
  WARM=10; DUR=10; LAT_WARM=5; LAT_DUR=10; FOOT_WARM=5; FOOT_LOAD=10; FLAG_REPS=3; JMH_REPS=3
  JMH_ARGS=(-f 1 -wi 3 -i 5 -w 1s -r 1s)
fi

# (|| true: under set -e a false test in the substitution would end the script silently)
OUT="${OUT:-$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)$([ "$SMOKE" = 1 ] && echo -smoke || true)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d /tmp/crossfade-bench.XXXXXX)"
RESULTS="$OUT/results.tsv"
: > "$RESULTS"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

HAVE_JDK25=0
[ -x "$JDK25_JAVA" ] && HAVE_JDK25=1

wait_until_quiet() {
  local i load
  for i in $(seq 1 50); do
    load="$(cut -d' ' -f1 /proc/loadavg)"
    if awk -v l="$load" 'BEGIN { exit !(l < 0.7) }'; then
      log "1-minute load $load: quiet enough"
      return 0
    fi
    log "1-minute load $load: waiting for it to drop below 0.7 ($i/50, every 30 s)"
    sleep 30
  done
  log "the machine never got quiet: figures below are taken under load"
  echo "taken under load (1-minute load stayed >= 0.7 for 25 minutes)" > "$OUT/WARNING"
}

describe_machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mode: $([ "$SMOKE" = 1 ] && echo smoke || echo full), repetitions: $REPS"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), cores: $(nproc)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "jdk17: $("$JDK17_JAVA" -version 2>&1 | head -2 | tail -1)"
    [ "$HAVE_JDK25" = 1 ] && echo "jdk25: $("$JDK25_JAVA" -version 2>&1 | head -2 | tail -1)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "load before: $(cat /proc/loadavg)"
    echo "jvm flags (both servers): $BENCH_JAVA_OPTS"
    echo "pinning: servers '${SERVER_TASKSET:-none}', load '${LOAD_TASKSET:-none}'"
    echo "git: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  } | tee "$OUT/machine.txt" >&2
}

# Settings: 10 000 keys, the first 100 with a running migration at 50 %; and the bytes the sidecar
# answers for the benchmarked key, which the bare server and nginx then serve.
prepare() {
  "$JDK17_JAVA" -cp "$JMH_JAR" io.crossfade.bench.jmh.SettingsFixture "$WORK/settings" "$SETTINGS_COUNT" "$MIGRATIONS_COUNT"
  local port=$((PORT_BASE + 40))
  require_ports_free "$port" $((port + 1))
  local line
  line="$(start_sidecar capture "$JDK17_JAVA" "$BENCH_JAVA_OPTS" "$port")"
  STARTED_PIDS+=("$(field pid "$line")")
  curl -fsS -D "$WORK/raw.headers" -o "$WORK/response.json" "http://127.0.0.1:$port/v1/settings/$KEY?unit=u-0"
  grep -i -E '^(etag|x-crossfade-variant):' "$WORK/raw.headers" | tr -d '\r' > "$WORK/response.headers"
  stop_pid "$(field pid "$line")"
  log "benchmarked response ($(wc -c < "$WORK/response.json") bytes): $(cat "$WORK/response.json")"
  cp "$WORK/response.json" "$OUT/response.json"
}

url_of() {
  case "$1" in
    sidecar17) echo "http://127.0.0.1:$((PORT_BASE + 1))/v1/settings/$KEY" ;;
    bare17) echo "http://127.0.0.1:$((PORT_BASE + 3))/v1/settings/$KEY" ;;
    nginx) echo "http://127.0.0.1:$((PORT_BASE + 4))/v1/settings/$KEY" ;;
    sidecar25) echo "http://127.0.0.1:$((PORT_BASE + 5))/v1/settings/$KEY" ;;
    bare25) echo "http://127.0.0.1:$((PORT_BASE + 7))/v1/settings/$KEY" ;;
  esac
}
target_of() { # load generator target of a latency target name
  case "$1" in
    *-uds) echo "unix:$WORK/${1%-uds}.sock" ;;
    *) url_of "$1" | sed 's#^\(http://[^/]*\).*#\1#' ;;
  esac
}

# The same process serves throughput then latency, so both are measured warm.
start_stack() {
  require_ports_free $(seq "$((PORT_BASE + 1))" "$((PORT_BASE + 8))")
  STACK=(sidecar17 bare17 nginx)
  start_sidecar sidecar17 "$JDK17_JAVA" "$BENCH_JAVA_OPTS" $((PORT_BASE + 1)) >/dev/null
  start_bare bare17 "$JDK17_JAVA" "$BENCH_JAVA_OPTS" $((PORT_BASE + 3)) >/dev/null
  start_nginx $((PORT_BASE + 4))
  if [ "$HAVE_JDK25" = 1 ]; then
    start_sidecar sidecar25 "$JDK25_JAVA" "$BENCH_JAVA_OPTS" $((PORT_BASE + 5)) >/dev/null
    start_bare bare25 "$JDK25_JAVA" "$BENCH_JAVA_OPTS" $((PORT_BASE + 7)) >/dev/null
    STACK+=(sidecar25 bare25)
  fi
  grep -h -o -E 'transport[=:] ?[a-zA-Z_ ()]+' "$WORK"/sidecar17.log "$WORK"/bare17.log | sed 's/^/  /' >&2 || true
  local t
  for t in "${STACK[@]}"; do
    log "warm-up $t (${WARM}s)"
    wrk_rps "$(url_of "$t")" "$WARM" >/dev/null
  done
}

# rotate N LIST... : the list rotated left by N, so each repetition starts with another target
rotate() { local n="$1"; shift; local a=("$@"); local k=$((n % ${#a[@]})); echo "${a[@]:k}" "${a[@]:0:k}"; }

section_throughput() {
  local rep t rps
  declare -A r
  for rep in $(seq 1 "$REPS"); do
    for t in $(rotate "$rep" "${STACK[@]}"); do
      rps="$(wrk_rps "$(url_of "$t")" "$DUR")"
      r[$t]="$rps"
      record throughput rps "$t" "$rep" "$rps"
    done
    log "throughput rep $rep: $(for t in "${STACK[@]}"; do printf '%s=%s ' "$t" "${r[$t]}"; done)"
    log "  sidecar17/bare17=$(ratio "${r[sidecar17]}" "${r[bare17]}") sidecar17/nginx=$(ratio "${r[sidecar17]}" "${r[nginx]}")$(
      [ "$HAVE_JDK25" = 1 ] && echo " sidecar25/bare25=$(ratio "${r[sidecar25]}" "${r[bare25]}") sidecar25/nginx=$(ratio "${r[sidecar25]}" "${r[nginx]}")")"
    # TCP next to the Unix socket, with the same client (wrk cannot speak to a Unix socket).
    local tcp uds
    tcp="$(field rps "$($LOAD_TASKSET "$LOADGEN_JAVA" -jar "$LOADGEN_JAR" max --target "$(target_of sidecar17)" \
      --path-template "$PATH_TEMPLATE" --units "$UNITS" --connections 32 --warmup 1 --duration "$DUR")")"
    uds="$(field rps "$($LOAD_TASKSET "$LOADGEN_JAVA" -jar "$LOADGEN_JAR" max --target "$(target_of sidecar17-uds)" \
      --path-template "$PATH_TEMPLATE" --units "$UNITS" --connections 32 --warmup 1 --duration "$DUR")")"
    record throughput rps_loadgen sidecar17-tcp "$rep" "$tcp"
    record throughput rps_loadgen sidecar17-uds "$rep" "$uds"
    log "  loadgen closed loop: sidecar17 tcp=$tcp uds=$uds uds/tcp=$(ratio "$uds" "$tcp")"
  done
}

# Open-loop latency at half of the bare server's saturation rate measured in this run.
section_latency() {
  local sat rate rep t line
  sat="$(awk -F'\t' '$1 == "throughput" && $2 == "rps" && $3 == "bare17" { print $5 }' "$RESULTS" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')"
  if [ -z "$sat" ]; then
    sat="$(wrk_rps "$(url_of bare17)" "$DUR")"
    record throughput rps bare17 0 "$sat"
  fi
  if [ -n "$LATENCY_RATE" ]; then
    rate="$LATENCY_RATE"
    log "latency at $rate requests/s (--latency-rate; the bare server's saturation: $sat)"
  else
    rate="$(awk -v s="$sat" 'BEGIN { printf "%d", s / 2 }')"
    log "latency at $rate requests/s (50 % of the bare server's $sat)"
  fi
  record latency rate all 0 "$rate"
  local targets=(sidecar17 bare17 sidecar17-uds)
  [ "$HAVE_JDK25" = 1 ] && targets+=(sidecar25 bare25)
  for rep in $(seq 1 "$REPS"); do
    for t in $(rotate "$rep" "${targets[@]}"); do
      line="$($LOAD_TASKSET "$LOADGEN_JAVA" -jar "$LOADGEN_JAR" rate --target "$(target_of "$t")" --path-template "$PATH_TEMPLATE" \
        --units "$UNITS" --connections 32 --rate "$rate" --warmup "$LAT_WARM" --duration "$LAT_DUR")"
      [ "$(field errors "$line")" = 0 ] || die "errors in latency run: $line"
      record latency p50_us "$t" "$rep" "$(field p50_us "$line")"
      record latency p99_us "$t" "$rep" "$(field p99_us "$line")"
      record latency p999_us "$t" "$rep" "$(field p999_us "$line")"
      record latency achieved_rps "$t" "$rep" "$(field rps "$line")"
      log "latency rep $rep $t: p50=$(field p50_us "$line")us p99=$(field p99_us "$line")us p99.9=$(field p999_us "$line")us at $(field rps "$line")/s"
    done
  done
}

section_footprint() {
  local rep
  for rep in $(seq 1 "$REPS"); do
    footprint_run footprint sidecar17 "$rep" sidecar "$JDK17_JAVA" "$BENCH_JAVA_OPTS"
    footprint_run footprint bare17 "$rep" bare "$JDK17_JAVA" "$BENCH_JAVA_OPTS"
    if [ "$HAVE_JDK25" = 1 ]; then
      footprint_run footprint sidecar25 "$rep" sidecar "$JDK25_JAVA" "$BENCH_JAVA_OPTS"
      footprint_run footprint bare25 "$rep" bare "$JDK25_JAVA" "$BENCH_JAVA_OPTS"
    fi
  done
}

# Candidate JVM flag sets for the image, each on a fresh sidecar: name|java|flags.
flag_candidates() {
  local c="-XX:MaxRAM=192m -XX:MaxRAMPercentage=50"
  echo "defaults|$JDK17_JAVA|-XX:MaxRAM=192m"
  echo "serial|$JDK17_JAVA|$c -XX:+UseSerialGC"
  echo "parallel|$JDK17_JAVA|$c -XX:+UseParallelGC"
  echo "g1|$JDK17_JAVA|$c -XX:+UseG1GC"
  echo "serial-c1|$JDK17_JAVA|$c -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
  # heap committed close to the live set, smaller thread stacks
  echo "serial-c1-lean|$JDK17_JAVA|$c -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Xss256k"
  echo "serial-appcds|$JDK17_JAVA|$c -XX:+UseSerialGC -XX:SharedArchiveFile=$WORK/app-17.jsa"
  echo "serial-c1-appcds|$JDK17_JAVA|$c -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=$WORK/app-17.jsa"
  if [ "$HAVE_JDK25" = 1 ]; then
    echo "jdk25-serial-c1|$JDK25_JAVA|$c -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
    echo "jdk25-serial-c1-coh|$JDK25_JAVA|$c -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+UseCompactObjectHeaders"
  fi
}

# AppCDS: a training run records the classes the sidecar loads into a dynamic archive at exit.
train_appcds() {
  local port=$((PORT_BASE + 30)) line
  require_ports_free "$port" $((port + 1))
  # trained with the candidates' heap and GC flags: an archive only helps a JVM configured like its training run
  line="$(start_sidecar cds-training "$JDK17_JAVA" \
    "-XX:MaxRAM=192m -XX:MaxRAMPercentage=50 -XX:+UseSerialGC -XX:ArchiveClassesAtExit=$WORK/app-17.jsa" "$port")"
  STARTED_PIDS+=("$(field pid "$line")")
  wrk_rps "http://127.0.0.1:$port/v1/settings/$KEY" 1 >/dev/null
  curl -fsS "http://127.0.0.1:$((port + 1))/metrics" >/dev/null
  stop_pid "$(field pid "$line")"
  [ -f "$WORK/app-17.jsa" ] || die "the AppCDS training run wrote no archive"
}

section_flags() {
  train_appcds
  local rep name java opts
  for rep in $(seq 1 "$FLAG_REPS"); do
    while IFS='|' read -r name java opts; do
      footprint_run flags "$name" "$rep" sidecar "$java" "$opts"
    done < <(flag_candidates)
    footprint_run flags bare-serial-c1 "$rep" bare "$JDK17_JAVA" \
      "-XX:MaxRAM=192m -XX:MaxRAMPercentage=50 -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
  done
}

# Every JMH jar the bench profile builds (bench/target/benchmarks.jar: the client library's getter;
# bench/*/target/*benchmarks.jar: the sidecar's) runs here, so a module that adds one is measured
# without changing this script.
section_jmh() {
  local rep jar name csv
  for rep in $(seq 1 "$JMH_REPS"); do
    for jar in "$BENCH_DIR"/target/*benchmarks.jar "$BENCH_DIR"/*/target/*benchmarks.jar; do
      [ -f "$jar" ] || continue
      # the shade plugin keeps the previous jar as original-*.jar: not a benchmark jar of this build
      case "$(basename "$jar")" in original-*) continue ;; esac
      name="$(basename "$(dirname "$(dirname "$jar")")")"  # bench (the client getter) or jmh
      csv="$OUT/jmh-$name-$rep.csv"
      log "jmh $name rep $rep"
      "$JDK17_JAVA" -jar "$jar" "${JMH_ARGS[@]}" -prof gc -rf csv -rff "$csv" > "$OUT/jmh-$name-$rep.txt" 2>&1 \
        || { tail -30 "$OUT/jmh-$name-$rep.txt" >&2; die "jmh failed"; }
      # "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"[,"Param: ..."]
      awk -F, -v rep="$rep" 'NR > 1 {
          for (i = 1; i <= NF; i++) gsub(/"/, "", $i)
          name = $1; suffix = ""
          if (index(name, ":") > 0) { suffix = substr(name, index(name, ":")); name = substr(name, 1, index(name, ":") - 1) }
          n = split(name, parts, "."); name = parts[n - 1] "." parts[n]
          if (NF >= 8 && $8 != "") name = name "[" $8 "]"
          if (suffix == ":gc.alloc.rate.norm") metric = "alloc_b_per_op"
          else if (suffix != "") next
          else metric = $7
          printf "jmh\t%s\t%s\t%s\t%s\n", metric, name, rep, $5
          if (metric != "alloc_b_per_op") printf "jmh\t%s_error\t%s\t%s\t%s\n", metric, name, rep, $6
        }' "$csv" >> "$RESULTS"
    done
  done
}

# OFREP (issue 14): a single evaluation against GET /v1/settings/{key} on the same sidecar, targets
# interleaved and rotated per repetition (the cost ratio get/single is the figure); then bulk
# evaluation over 1 000 settings on a second sidecar, answered 200 (a new unit each time) and 304
# (a current If-None-Match), with 4 connections.
section_ofrep() {
  local port=$((PORT_BASE + 42)) bulk_port=$((PORT_BASE + 44)) rep t rps etag
  require_ports_free "$port" $((port + 1)) "$bulk_port" $((bulk_port + 1))
  "$JDK17_JAVA" -cp "$JMH_JAR" io.crossfade.bench.jmh.SettingsFixture "$WORK/settings-1000" 1000 100
  start_sidecar ofrep17 "$JDK17_JAVA" "$BENCH_JAVA_OPTS" "$port" >/dev/null
  start_sidecar ofrepbulk17 "$JDK17_JAVA" "$BENCH_JAVA_OPTS" "$bulk_port" "$WORK/settings-1000" >/dev/null
  local get_url="http://127.0.0.1:$port/v1/settings/$KEY"
  local single_url="http://127.0.0.1:$port/ofrep/v1/evaluate/flags/$KEY"
  local bulk_url="http://127.0.0.1:$bulk_port/ofrep/v1/evaluate/flags"
  local flags
  flags="$(curl -fsS -X POST "$bulk_url" -d '{"context":{"targetingKey":"u-0"}}' | grep -o '"key":' | wc -l)"
  [ "$flags" = 1000 ] || die "bulk evaluation answered $flags flags, expected 1000"
  curl -fsS -X POST "$single_url" -d '{"context":{"targetingKey":"u-0"}}' > "$OUT/ofrep-single.json"
  etag="$(curl -fsS -D - -o /dev/null -X POST "$bulk_url" -d '{"context":{"targetingKey":"u-0"}}' \
    | tr -d '\r' | sed -n 's/^etag: //Ip')"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$bulk_url" -H "If-None-Match: $etag" \
    -d '{"context":{"targetingKey":"u-0"}}')" = 304 ] || die "bulk evaluation did not answer 304 to its own ETag"
  log "ofrep: single answer $(wc -c < "$OUT/ofrep-single.json") bytes; bulk over 1000 settings, ETag $etag"
  ofrep_rps() { # TARGET SECONDS
    case "$1" in
      get) wrk_rps "$get_url" "$2" ;;
      single) BENCH_MODE=single wrk_rps "$single_url" "$2" "$BENCH_DIR/ofrep.lua" ;;
      # 110 KiB answers: fewer connections and a long timeout, so a busy machine queues rather than times out
      bulk200) BENCH_MODE=bulk WRK_OPTS="-t2 -c4 --timeout 30s" wrk_rps "$bulk_url" "$2" "$BENCH_DIR/ofrep.lua" ;;
      bulk304) BENCH_MODE=bulk304 BENCH_ETAG="$etag" WRK_OPTS="-t2 -c4 --timeout 30s" wrk_rps "$bulk_url" "$2" \
        "$BENCH_DIR/ofrep.lua" ;;
    esac
  }
  for t in get single bulk200 bulk304; do
    log "warm-up ofrep $t (${WARM}s)"
    ofrep_rps "$t" "$WARM" >/dev/null
  done
  declare -A r
  for rep in $(seq 1 "$REPS"); do
    for t in $(rotate "$rep" get single); do
      rps="$(ofrep_rps "$t" "$DUR")"
      r[$t]="$rps"
      record ofrep rps "$t" "$rep" "$rps"
    done
    for t in bulk200 bulk304; do
      rps="$(ofrep_rps "$t" "$DUR")"
      r[$t]="$rps"
      record ofrep rps "$t" "$rep" "$rps"
    done
    log "ofrep rep $rep: get=${r[get]} single=${r[single]} cost single/get=$(ratio "${r[get]}" "${r[single]}") bulk200=${r[bulk200]} bulk304=${r[bulk304]}"
  done
  stop_all
}

[ "$WAIT_QUIET" = 1 ] && wait_until_quiet
ensure_tools
[ "$BUILD" = 1 ] && build_jars
[ -f "$SIDECAR_JAR" ] && [ -f "$BASELINE_JAR" ] && [ -f "$LOADGEN_JAR" ] && [ -f "$JMH_JAR" ] \
  || die "jars missing: run without --no-build"
describe_machine
needs_servers=0
for s in $SECTIONS; do [ "$s" != jmh ] && needs_servers=1; done
[ "$needs_servers" = 1 ] && prepare
if [[ " $SECTIONS " == *" throughput "* || " $SECTIONS " == *" latency "* ]]; then
  start_stack
  [[ " $SECTIONS " == *" throughput "* ]] && section_throughput
  [[ " $SECTIONS " == *" latency "* ]] && section_latency
  stop_all
fi
[[ " $SECTIONS " == *" footprint "* ]] && section_footprint
[[ " $SECTIONS " == *" flags "* ]] && section_flags
[[ " $SECTIONS " == *" jmh "* ]] && section_jmh
[[ " $SECTIONS " == *" ofrep "* ]] && section_ofrep
echo "load after: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
"$BENCH_DIR/summarize.sh" "$RESULTS" | tee "$OUT/summary.md"
log "results in $OUT"
