# Functions shared by bench/run.sh: tools, servers, measurements. Sourced, not run.
# Every server started here is recorded in STARTED_PIDS and stopped by stop_all (run.sh traps EXIT).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
# SIDECAR_JAR may be set to measure another build (an earlier commit's jar, for a before/after)
SIDECAR_JAR="${SIDECAR_JAR:-$ROOT/sidecar/target/crossfade-sidecar.jar}"
BASELINE_JAR="$BENCH_DIR/baseline-server/target/baseline-server.jar"
LOADGEN_JAR="$BENCH_DIR/loadgen/target/loadgen.jar"
JMH_JAR="$BENCH_DIR/jmh/target/benchmarks.jar"
STARTED_PIDS=()
# CPU pinning (bench/footprint.sh --pin): servers run under SERVER_TASKSET, wrk and the load generator
# under LOAD_TASKSET, e.g. "taskset -c 0" and "taskset -c 1"; empty: no pinning.
SERVER_TASKSET="${SERVER_TASKSET:-}"
LOAD_TASKSET="${LOAD_TASKSET:-}"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wrk, nginx and curl from Debian's packages when missing (we run as root on the bench machine).
ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt-get"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The sidecar and the benchmark jars, in one reactor (no install).
build_jars() {
  log "building the sidecar and the bench modules (./mvnw -Pbench package)"
  (cd "$ROOT" && ./mvnw -B -q -Pbench -DskipTests package) || die "build failed"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_ports_free() {
  local p
  for p in "$@"; do port_free "$p" || die "port $p is in use; set BENCH_PORT_BASE to another range"; done
}

# start_with_ready NAME READY_URL JAVA [ARGS...] -> prints "ready_ms=.. listening_ms=.. pid=.." and records the pid.
# The load generator starts the process itself and polls READY_URL every millisecond.
start_with_ready() {
  local name="$1" url="$2"; shift 2
  local line
  # shellcheck disable=SC2086
  line="$($LOAD_TASKSET "$LOADGEN_JAVA" -jar "$LOADGEN_JAR" ready --url "$url" --timeout 120 --log "$WORK/$name.log" \
    -- $SERVER_TASKSET "$@")" \
    || { tail -20 "$WORK/$name.log" >&2; die "$name did not become ready"; }
  STARTED_PIDS+=("$(field pid "$line")")
  echo "$line"
}

# start_sidecar NAME JAVA "JVM OPTS" PORT [SETTINGS_DIR] -> ready line. Also listens on $WORK/NAME.sock
# (Unix socket). SETTINGS_DIR defaults to $WORK/settings.
start_sidecar() {
  local name="$1" java="$2" opts="$3" port="$4" settings="${5:-$WORK/settings}"
  local state="$WORK/state-$name-$RANDOM"
  rm -f "$WORK/$name.sock"
  # shellcheck disable=SC2086
  start_with_ready "$name" "http://127.0.0.1:$port/ready" "$java" $opts -jar "$SIDECAR_JAR" serve \
    --settings "$settings" --state "$state" --listen "127.0.0.1:$port" --ops-listen "127.0.0.1:$((port + 1))" \
    --listen-unix "$WORK/$name.sock" --instance-id bench
}

# start_bare NAME JAVA "JVM OPTS" PORT -> ready line. Answers the bytes captured by capture_response.
start_bare() {
  local name="$1" java="$2" opts="$3" port="$4"
  local headers=()
  while IFS= read -r h; do headers+=(--header "$h"); done < "$WORK/response.headers"
  # shellcheck disable=SC2086
  start_with_ready "$name" "http://127.0.0.1:$port/ready" "$java" $opts -jar "$BASELINE_JAR" \
    --listen "127.0.0.1:$port" --body "$WORK/response.json" "${headers[@]}"
}

# nginx serving response.json as a static file at the benchmarked path: one worker per core,
# keep-alive without a request cap, no access log.
start_nginx() {
  local port="$1"
  local root="$WORK/nginx"
  mkdir -p "$root/www/v1/settings" "$root/tmp" "$root/logs"
  cp "$WORK/response.json" "$root/www/v1/settings/$KEY"
  chmod -R a+rX "$WORK"
  cat > "$root/nginx.conf" <<EOF
worker_processes $(nproc);
pid $root/nginx.pid;
error_log $root/logs/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  open_file_cache max=16 inactive=60s;
  client_body_temp_path $root/tmp/body;
  proxy_temp_path $root/tmp/proxy;
  fastcgi_temp_path $root/tmp/fastcgi;
  uwsgi_temp_path $root/tmp/uwsgi;
  scgi_temp_path $root/tmp/scgi;
  types { }
  default_type "application/json; charset=utf-8";
  server {
    listen 127.0.0.1:$port reuseport;
    root $root/www;
    location / { }
  }
}
EOF
  # shellcheck disable=SC2086
  $SERVER_TASKSET nginx -p "$root" -c "$root/nginx.conf" >"$root/logs/stdout.log" 2>&1 &
  STARTED_PIDS+=("$!")
  wait_for_http "http://127.0.0.1:$port/v1/settings/$KEY" nginx "$root/logs/stdout.log" "$root/logs/error.log"
}

# wait_for_http URL WHAT [LOG...] -> returns once URL answers 2xx, polling for 5 s at most; else shows
# the LOGs and dies saying that WHAT did not start
wait_for_http() {
  local url="$1" what="$2" i
  shift 2
  for i in $(seq 1 100); do
    curl -fs -o /dev/null "$url" && return 0
    sleep 0.05
  done
  cat "$@" >&2 2>/dev/null || true
  die "$what did not start"
}

stop_pid() {
  local pid="$1" i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  STARTED_PIDS=()
}

# field NAME "a=1 b=2" -> value of NAME
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }

# CPU time (user + system) PID has used so far, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }

# Resident set size of PID in MiB (VmRSS from /proc/PID/status; FIELD RssAnon: only the private
# memory, without mapped files such as the jar and a CDS archive, which processes on one node share).
rss_mib() { awk -v f="${2:-VmRSS}:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# wrk_rps URL SECONDS [SCRIPT] -> requests/s; fails on socket errors or answers of 400 and above.
# SCRIPT defaults to reads.lua; ofrep.lua reads BENCH_MODE and BENCH_ETAG from the environment.
# WRK_OPTS (default -t2 -c32) sets threads, connections and timeout.
wrk_rps() {
  local url="$1" seconds="$2" script="${3:-$BENCH_DIR/reads.lua}" out
  # shellcheck disable=SC2086
  out="$(BENCH_UNITS="$UNITS" $LOAD_TASKSET wrk ${WRK_OPTS:--t2 -c32} -d"${seconds}s" -s "$script" "$url")" || die "wrk failed on $url"
  if grep -q -E 'Non-2xx|Socket errors' <<<"$out"; then
    echo "$out" >&2
    die "wrk saw errors on $url"
  fi
  awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

# footprint_run SECTION TARGET REP KIND JAVA OPTS: a fresh process: time to ready, RSS after warm-up,
# peak RSS and throughput under load. With -XX:NativeMemoryTracking= in OPTS, also the NMT summary after
# the load in OUT/nmt-TARGET-REP.txt. Uses run.sh's FOOT_WARM, FOOT_LOAD, KEY, OUT, PORT_BASE.
footprint_run() {
  local section="$1" target="$2" rep="$3" kind="$4" java="$5" opts="$6"
  local port=$((PORT_BASE + 20)) line pid url samples rps
  require_ports_free "$port" $((port + 1))
  if [ "$kind" = sidecar ]; then
    line="$(start_sidecar "fp-$target" "$java" "$opts" "$port")"
  else
    line="$(start_bare "fp-$target" "$java" "$opts" "$port")"
  fi
  pid="$(field pid "$line")"
  STARTED_PIDS+=("$pid")  # recorded in this shell too: start_* ran in a command substitution
  url="http://127.0.0.1:$port/v1/settings/$KEY"
  record "$section" ready_ms "$target" "$rep" "$(field ready_ms "$line")"
  # CPU time (user + system) the process used until it was ready: unlike the wall time, it hardly
  # grows when other work shares the machine
  record "$section" ready_cpu_ms "$target" "$rep" "$(cpu_ms "$pid")"
  wrk_rps "$url" "$FOOT_WARM" >/dev/null
  sleep 1
  record "$section" rss_warm_mib "$target" "$rep" "$(rss_mib "$pid")"
  record "$section" rss_anon_warm_mib "$target" "$rep" "$(rss_mib "$pid" RssAnon)"
  wrk_rps "$url" "$FOOT_LOAD" > "$WORK/load.rps" &
  local wrk_pid=$! peak=0 now
  while kill -0 "$wrk_pid" 2>/dev/null; do
    now="$(rss_mib "$pid")"
    peak="$(awk -v a="$peak" -v b="$now" 'BEGIN { print (b > a ? b : a) }')"
    sleep 0.5
  done
  wait "$wrk_pid" || die "wrk failed under load"
  rps="$(cat "$WORK/load.rps")"
  record "$section" rss_load_mib "$target" "$rep" "$peak"
  record "$section" rps "$target" "$rep" "$rps"
  if [[ " $opts " == *" -XX:NativeMemoryTracking="* ]]; then
    # where the committed memory is, after the load (jcmd of the JDK that runs the server)
    "$(dirname "$java")/jcmd" "$pid" VM.native_memory summary > "$OUT/nmt-$target-$rep.txt" 2>&1 || true
  fi
  log "$section $target rep $rep: ready=$(field ready_ms "$line")ms rss_warm=$(rss_mib "$pid")MiB rss_load=${peak}MiB rps=$rps"
  stop_pid "$pid"
}

# record SECTION METRIC TARGET REP VALUE: one measurement, appended to results.tsv.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }

# ratio A B -> A/B with 3 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
