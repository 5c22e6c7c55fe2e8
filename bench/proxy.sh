#!/usr/bin/env bash
# Proxy mode (--proxy-listen) against nginx proxy_pass with a keep-alive upstream pool, both in front
# of the same upstream (an nginx serving static files), in the same run. See bench/README.md.
#
#   bench/proxy.sh --smoke            # a minute or two: every step briefly, one repetition
#   bench/proxy.sh                    # the real run, about 10 minutes
#   bench/proxy.sh --reps 3 --no-build
#   bench/proxy.sh --pin              # both proxies on CPU 0; wrk, loadgen, curl and the upstream on CPU 1
#   bench/proxy.sh --latency-rate 3000  # the open-loop rate of the latency section (default: half of
#                                       # nginx's saturation rate, which queues on a busy machine)
#   bench/proxy.sh --only throughput,latency  # some sections only (throughput, latency, conns, download)
#   bench/proxy.sh --compare-jar OTHER.jar  # a second sidecar from another build ("crossfade-b") in the
#                                       # throughput section, beside the first, rep by rep: an A/B of a
#                                       # change, and a check of whether a slow spell is the machine's
#   bench/proxy.sh --compare-transport epoll  # "crossfade-b" is this build on that transport: an A/B of
#                                       # the transports in the throughput section
#   bench/proxy.sh --transport epoll    # the sidecars and the floors on this transport (default: what the
#                                       # sidecar's --transport auto takes here, io_uring where allowed)
#   bench/proxy.sh --floors             # also the least a proxy on this stack costs, in the throughput and
#                                       # latency sections: bare Netty ("netty-floor") and bare Vert.x
#                                       # ("vertx-floor"), bench/baseline-server's BaselineProxy
#
# Sections: throughput (wrk -t2 -c32, requests/s: direct, nginx, crossfade), latency (open loop at
# half of nginx's saturation rate, or --latency-rate, on each target at once, interleaved: p50/p99,
# and what each proxy adds over the direct call in the same seconds),
# conns (RSS and requests/s with 1 000 concurrent connections), download (a 100 MB body: time to the
# first byte while the upstream is still sending, RSS while streaming to a fast and to a slow client).
# Throughput also records each proxy's CPU time per request (user + system, from /proc), which
# depends far less on what else the machine runs than requests/s do, and for the sidecars the share
# of it spent by the JIT's compiler threads.
# Results: OUT/results.tsv and OUT/summary.md (OUT defaults to bench/results/proxy-<date-time>).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMOKE=0
REPS=5
OUT=""
BUILD=1
PIN=0
LATENCY_RATE=""
COMPARE_JAR=""
FLOORS=0
TRANSPORT=auto
COMPARE_TRANSPORT=""
ONLY="throughput,latency,conns,download"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --reps) REPS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --pin) PIN=1 ;;
    --latency-rate) LATENCY_RATE="$2"; shift ;;
    --compare-jar) COMPARE_JAR="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --floors) FLOORS=1 ;;
    --transport) TRANSPORT="$2"; shift ;;
    --compare-transport) COMPARE_TRANSPORT="$2"; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  shift
done

for section in ${ONLY//,/ }; do
  case "$section" in
    throughput|latency|conns|download) ;;
    *) die "--only: unknown section $section (throughput, latency, conns, download)" ;;
  esac
done

JDK17_JAVA="${JDK17_JAVA:-$(command -v java)}"
LOADGEN_JAVA="$JDK17_JAVA"
IMAGE_JAVA_OPTS="$(sed -n 's/^ENV JAVA_OPTS="\(.*\)"$/\1/p' "$ROOT/Dockerfile" | sed -E 's/ *-XX:(SharedArchiveFile|AOTCache)=[^ ]*//')"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--XX:MaxRAM=192m $IMAGE_JAVA_OPTS}"
UNITS=10000
PORT_BASE="${BENCH_PORT_BASE:-18000}"
UP=$((PORT_BASE + 51)); NGX=$((PORT_BASE + 52)); CF=$((PORT_BASE + 53)); CFB=$((PORT_BASE + 56))
NETTY_FLOOR=$((PORT_BASE + 61)); VERTX_FLOOR=$((PORT_BASE + 62))  # crossfade-b takes +56 to +58
BIG_MB=100
# With --pin, the proxies under test share CPU 0 (lib.sh's SERVER_TASKSET) and everything that drives
# or serves them runs on CPU 1 (LOAD_TASKSET), so neither proxy's throughput is paid for by the load
# generator's and the upstream's CPU.
if [ "$PIN" = 1 ]; then SERVER_TASKSET="taskset -c 0"; LOAD_TASKSET="taskset -c 1"; fi

if [ "$SMOKE" = 1 ]; then
  REPS=1; WARM=1; DUR=2; LAT_WARM=1; LAT_DUR=2; CONNS_DUR=3
else
  WARM=10; DUR=10; LAT_WARM=5; LAT_DUR=10; CONNS_DUR=10
fi

OUT="${OUT:-$BENCH_DIR/results/proxy-$(date +%Y%m%d-%H%M%S)$([ "$SMOKE" = 1 ] && echo -smoke || true)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d /tmp/crossfade-proxy-bench.XXXXXX)"
RESULTS="$OUT/results.tsv"
: > "$RESULTS"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
# 1 000 client connections through a proxy hold 2 000 sockets in it and 1 000 in the upstream
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# start_nginx_with NAME PORT SERVER_BLOCK [TASKSET...] -> starts an nginx with one worker per core and
# that server block, under TASKSET (a taskset command line) when given
start_nginx_with() {
  local name="$1" port="$2" server="$3" root="$WORK/$1"
  shift 3
  mkdir -p "$root/tmp" "$root/logs"
  cat > "$root/nginx.conf" <<CONF
worker_processes $(nproc);
worker_rlimit_nofile 65536;
pid $root/nginx.pid;
error_log $root/logs/error.log warn;
daemon off;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  client_body_temp_path $root/tmp/body;
  proxy_temp_path $root/tmp/proxy;
  fastcgi_temp_path $root/tmp/fastcgi;
  uwsgi_temp_path $root/tmp/uwsgi;
  scgi_temp_path $root/tmp/scgi;
  types { }
  default_type "application/json";
  $server
}
CONF
  "$@" nginx -p "$root" -c "$root/nginx.conf" >"$root/logs/stdout.log" 2>&1 &
  STARTED_PIDS+=("$!")
  echo "$!" > "$WORK/$name.pid"
  wait_for_http "http://127.0.0.1:$port/small.json" "nginx $name" "$root/logs/stdout.log" "$root/logs/error.log"
}

# The upstream both proxies forward to: a small JSON answer, a 100 MB file, and the same file sent at
# 25 MB/s (an upstream that is still sending when a streaming proxy's client has its first byte).
start_upstream() {
  local www="$WORK/www"
  mkdir -p "$www"
  printf '{"user":"u-1","total":"16.49","banner":"Free shipping over 50 EUR","items":2}' > "$www/small.json"
  head -c $((BIG_MB * 1024 * 1024)) /dev/urandom > "$www/big.bin"
  chmod -R a+rX "$WORK"
  start_nginx_with upstream "$UP" "server {
    listen 127.0.0.1:$UP reuseport;
    root $www;
    location /slow/ { alias $www/; limit_rate 25m; }
  }" $LOAD_TASKSET
}

# nginx as the reference proxy: proxy_pass to a keep-alive upstream pool, HTTP/1.1 upstream
# connections, the forwarding headers a reverse proxy adds; default buffering.
start_nginx_proxy() {
  start_nginx_with nginx-proxy "$NGX" "upstream backend { server 127.0.0.1:$UP; keepalive 512; }
  server {
    listen 127.0.0.1:$NGX reuseport;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }" $SERVER_TASKSET
}

# The sidecar in proxy mode with the image's JVM flags: three settings injected, one migration
# running at 50 % (so every request buckets its unit and is an outcome), a guard that never trips.
# start_crossfade_proxy [NAME PORT JAR TRANSPORT] -> sets the pid of NAME (default crossfade, on $CF,
# $SIDECAR_JAR, $TRANSPORT)
# in PIDS[NAME]; its read and ops listeners are on PORT + 1 and PORT + 2.
declare -A PIDS
start_crossfade_proxy() {
  local name="${1:-crossfade}" port="${2:-$CF}" jar="${3:-$SIDECAR_JAR}" transport="${4:-$TRANSPORT}"
  mkdir -p "$WORK/settings"
  cat > "$WORK/settings/checkout.yaml" <<YAML
settings:
  checkout.banner: { value: { text: "Free shipping over 50 EUR", color: "#0a7" } }
  checkout.price_format: { value: { decimals: 2 } }
  checkout.max_items: { value: 20 }
migrations:
  checkout.price_format:
    to: { decimals: 3 }
    percent: 50
    guard: { minSamples: 1000000000, window: 60s }
YAML
  local line
  # shellcheck disable=SC2086
  line="$(start_with_ready "$name" "http://127.0.0.1:$((port + 2))/ready" "$JDK17_JAVA" $BENCH_JAVA_OPTS \
    -jar "$jar" serve --settings "$WORK/settings" --state "$WORK/state-$name" --listen "127.0.0.1:$((port + 1))" \
    --ops-listen "127.0.0.1:$((port + 2))" --instance-id bench --proxy-listen "127.0.0.1:$port" \
    --upstream "http://127.0.0.1:$UP" --inject 'checkout.*' $([ "$transport" = auto ] || echo "--transport $transport"))"
  PIDS[$name]="$(field pid "$line")"
  STARTED_PIDS+=("${PIDS[$name]}")
  grep -h -o -E 'transport[=:] ?[a-zA-Z_ ()]+' "$WORK/$name.log" | sed 's/^/  /' >&2 || true
}

# start_floor LAYER PORT -> starts BaselineProxy's LAYER floor (netty or vertx) as LAYER-floor, with the
# sidecar's JVM flags, pinned like the sidecar
start_floor() {
  local layer="$1" port="$2" line
  # shellcheck disable=SC2086
  line="$(start_with_ready "$layer-floor" "http://127.0.0.1:$port/small.json" "$JDK17_JAVA" $BENCH_JAVA_OPTS \
    -cp "$BASELINE_JAR" io.crossfade.bench.baseline.BaselineProxy --layer "$layer" --listen "127.0.0.1:$port" \
    --upstream "127.0.0.1:$UP" $([ "$TRANSPORT" = auto ] || echo "--transport $TRANSPORT"))"
  grep -h -o -E 'transport=[a-z_]+' "$WORK/$layer-floor.log" | sed "s/^/  $layer-floor: /" >&2 || true
  PIDS[$layer-floor]="$(field pid "$line")"
  STARTED_PIDS+=("${PIDS[$layer-floor]}")
}

url_of() {
  case "$1" in
    netty-floor) echo "http://127.0.0.1:$NETTY_FLOOR" ;;
    vertx-floor) echo "http://127.0.0.1:$VERTX_FLOOR" ;;
    direct) echo "http://127.0.0.1:$UP" ;;
    nginx) echo "http://127.0.0.1:$NGX" ;;
    crossfade) echo "http://127.0.0.1:$CF" ;;
    crossfade-b) echo "http://127.0.0.1:$CFB" ;;
  esac
}

# wrk_proxy URL SECONDS CONNECTIONS [TIMEOUTS_FILE] -> requests/s. Fails on non-2xx answers and
# socket errors; with TIMEOUTS_FILE, wrk's own request timeouts (2 s, reached on a loaded machine
# with 1 000 connections) are written there instead of failing the run.
wrk_proxy() {
  local out
  out="$(BENCH_UNITS="$UNITS" $LOAD_TASKSET wrk -t2 -c"$3" -d"$2s" -s "$BENCH_DIR/proxy.lua" "$1")" || die "wrk failed on $1"
  local timeouts
  timeouts="$(sed -n 's/.*Socket errors:.* timeout \([0-9]*\).*/\1/p' <<<"$out")"
  if [ -n "${4:-}" ]; then
    echo "${timeouts:-0}" > "$4"
    out="$(sed 's/Socket errors: connect 0, read 0, write 0, timeout [0-9]*//' <<<"$out")"
  fi
  if grep -q -E 'Non-2xx|Socket errors' <<<"$out"; then
    echo "$out" >&2
    die "wrk saw errors on $1"
  fi
  awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

# RSS in MiB of an nginx: its master and every worker
nginx_rss_mib() {
  local master="$1"
  ps -o rss= --pid "$master" --ppid "$master" | awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}

# cpu_ticks TARGET -> "USER SYSTEM" clock ticks so far of the proxy TARGET (nginx: master + workers)
cpu_ticks() {
  local pids
  if [ "$1" != nginx ]; then pids="${PIDS[$1]}"; else
    pids="$(cat "$WORK/nginx-proxy.pid") $(pgrep -P "$(cat "$WORK/nginx-proxy.pid")" | tr '\n' ' ')"; fi
  # shellcheck disable=SC2086
  for p in $pids; do awk '{ print $14, $15 }' "/proc/$p/stat"; done | awk '{ u += $1; s += $2 } END { print u, s }'
}

# jit_ticks TARGET -> user + system clock ticks so far of the JIT compiler threads of the sidecar TARGET
jit_ticks() {
  local task total=0
  for task in /proc/"${PIDS[$1]}"/task/*; do
    if grep -q 'CompilerThre' "$task/comm" 2>/dev/null; then
      total=$((total + $(awk '{ print $14 + $15 }' "$task/stat" 2>/dev/null || echo 0)))
    fi
  done
  echo "$total"
}

rss_of() { if [ "$1" = crossfade ]; then rss_mib "${PIDS[crossfade]}"; else nginx_rss_mib "$(cat "$WORK/nginx-proxy.pid")"; fi; }

describe_machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mode: $([ "$SMOKE" = 1 ] && echo smoke || echo full), repetitions: $REPS"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), cores: $(nproc)"
    echo "jdk17: $("$JDK17_JAVA" -version 2>&1 | head -2 | tail -1)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "load before: $(cat /proc/loadavg)"
    echo "pinning: proxies: ${SERVER_TASKSET:-none}; wrk, loadgen, curl, upstream: ${LOAD_TASKSET:-none}"
    echo "jvm flags: $BENCH_JAVA_OPTS"
    echo "transport: $TRANSPORT (sidecars' --transport; the floors take the same)"
    echo "git: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && git diff --quiet 2>/dev/null || echo ' (uncommitted changes)')"
  } | tee "$OUT/machine.txt" >&2
}

rotate() { local n="$1"; shift; local a=("$@"); local k=$((n % ${#a[@]})); echo "${a[@]:k}" "${a[@]:0:k}"; }
median_of() { # median of the values of (section, metric, target) so far
  awk -F'\t' -v s="$1" -v m="$2" -v t="$3" '$1 == s && $2 == m && $3 == t { print $5 }' "$RESULTS" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# per_request TICKS_BEFORE TICKS_AFTER RPS -> microseconds of CPU per request over the $DUR seconds
per_request() {
  awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" -v r="$3" -v d="$DUR" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / (r * d) }'
}

section_throughput() {
  local rep t rps before after jit_before targets=(direct nginx crossfade) floor_log
  declare -A r cpu jit
  [ -z "$COMPARE_JAR" ] || targets+=(crossfade-b)
  [ "$FLOORS" = 0 ] || targets+=(netty-floor vertx-floor)
  for t in "${targets[@]}"; do
    log "warm-up $t (${WARM}s)"
    wrk_proxy "$(url_of "$t")/small.json" "$WARM" 32 >/dev/null
  done
  for rep in $(seq 1 "$REPS"); do
    for t in $(rotate "$rep" "${targets[@]}"); do
      [ "$t" = direct ] || read -r -a before <<<"$(cpu_ticks "$t")"
      [ "${t#crossfade}" = "$t" ] || jit_before="$(jit_ticks "$t")"
      rps="$(wrk_proxy "$(url_of "$t")/small.json" "$DUR" 32)"
      r[$t]="$rps"
      record proxy_throughput rps "$t" "$rep" "$rps"
      if [ "$t" != direct ]; then
        read -r -a after <<<"$(cpu_ticks "$t")"
        cpu[$t]="$(per_request $((before[0] + before[1])) $((after[0] + after[1])) "$rps")"
        record proxy_throughput cpu_us_per_request "$t" "$rep" "${cpu[$t]}"
        # user (the proxy's own code, the JVM's) and system (the kernel's TCP work, nearly alike for all)
        record proxy_throughput cpu_user_us_per_request "$t" "$rep" "$(per_request "${before[0]}" "${after[0]}" "$rps")"
        record proxy_throughput cpu_system_us_per_request "$t" "$rep" "$(per_request "${before[1]}" "${after[1]}" "$rps")"
      fi
      if [ "${t#crossfade}" != "$t" ]; then
        jit[$t]="$(per_request "$jit_before" "$(jit_ticks "$t")" "$rps")"
        record proxy_throughput jit_cpu_us_per_request "$t" "$rep" "${jit[$t]}"
      fi
    done
    floor_log=""
    [ "$FLOORS" = 0 ] || floor_log="; floors: netty=${r[netty-floor]} (CPU ${cpu[netty-floor]}) vertx=${r[vertx-floor]} (CPU ${cpu[vertx-floor]})"
    log "throughput rep $rep: direct=${r[direct]} nginx=${r[nginx]} crossfade=${r[crossfade]} crossfade/nginx=$(ratio "${r[crossfade]}" "${r[nginx]}"); CPU per request (us): nginx=${cpu[nginx]} crossfade=${cpu[crossfade]} (JIT ${jit[crossfade]})$([ -z "$COMPARE_JAR" ] || echo "; crossfade-b=${r[crossfade-b]} CPU ${cpu[crossfade-b]} (JIT ${jit[crossfade-b]}) b/a=$(ratio "${r[crossfade-b]}" "${r[crossfade]}")")$floor_log"
  done
}

section_latency() {
  local sat rate rep t line
  sat="$(median_of proxy_throughput rps nginx)"
  [ -n "$sat" ] || sat="$(wrk_proxy "$(url_of nginx)/small.json" "$DUR" 32)"
  rate="${LATENCY_RATE:-$(awk -v s="$sat" 'BEGIN { printf "%d", s / 2 }')}"
  record proxy_latency rate all 0 "$rate"
  log "latency at $rate requests/s (nginx's saturation rate: $sat)"
  declare -A p50 p99
  local order lines i targets=(direct nginx crossfade)
  [ "$FLOORS" = 0 ] || targets+=(netty-floor vertx-floor)
  for rep in $(seq 1 "$REPS"); do
    # Paired: one generator drives the three targets in the same seconds, each at the rate on its own
    # 32 connections, interleaved, so a stall of the generator or the machine hits all three alike.
    read -r -a order <<<"$(rotate "$rep" "${targets[@]}")"
    lines="$($LOAD_TASKSET "$LOADGEN_JAVA" -jar "$LOADGEN_JAR" rate $(for t in "${order[@]}"; do echo "--target $(url_of "$t")"; done) \
      --path-template '/small.json?u={unit}' --units "$UNITS" --connections 32 --rate "$rate" --warmup "$LAT_WARM" \
      --duration "$LAT_DUR")"
    [ "$(wc -l <<<"$lines")" = "${#targets[@]}" ] || die "expected ${#targets[@]} result lines from the latency run: $lines"
    for i in $(seq 0 $((${#targets[@]} - 1))); do
      t="${order[$i]}"
      line="$(sed -n "$((i + 1))p" <<<"$lines")"
      [ "$(field target "$line")" = "$(url_of "$t")" ] || die "latency result out of order: $line"
      [ "$(field errors "$line")" = 0 ] || die "errors in latency run: $line"
      p50[$t]="$(field p50_us "$line")"; p99[$t]="$(field p99_us "$line")"
      record proxy_latency p50_us "$t" "$rep" "${p50[$t]}"
      record proxy_latency p99_us "$t" "$rep" "${p99[$t]}"
      record proxy_latency achieved_rps "$t" "$rep" "$(field rps "$line")"
    done
    for t in "${targets[@]:1}"; do
      record proxy_latency added_p50_us "$t" "$rep" "$(awk -v a="${p50[$t]}" -v b="${p50[direct]}" 'BEGIN { print a - b }')"
      record proxy_latency added_p99_us "$t" "$rep" "$(awk -v a="${p99[$t]}" -v b="${p99[direct]}" 'BEGIN { print a - b }')"
    done
    log "latency rep $rep: p50 direct=${p50[direct]} nginx=${p50[nginx]} crossfade=${p50[crossfade]} us; p99 direct=${p99[direct]} nginx=${p99[nginx]} crossfade=${p99[crossfade]} us$([ "$FLOORS" = 0 ] || echo "; floors p50 netty=${p50[netty-floor]} vertx=${p50[vertx-floor]} p99 netty=${p99[netty-floor]} vertx=${p99[vertx-floor]} us")"
  done
}

# 1 000 concurrent keep-alive connections: peak RSS of each proxy and its throughput.
section_conns() {
  local rep t peak now wrk_pid rps
  for rep in $(seq 1 "$REPS"); do
    for t in $(rotate "$rep" nginx crossfade); do
      record proxy_conns rss_idle_mib "$t" "$rep" "$(rss_of "$t")"
      wrk_proxy "$(url_of "$t")/small.json" "$CONNS_DUR" 1000 "$WORK/conns.timeouts" > "$WORK/conns.rps" &
      wrk_pid=$!
      peak=0
      while kill -0 "$wrk_pid" 2>/dev/null; do
        now="$(rss_of "$t")"
        peak="$(awk -v a="$peak" -v b="$now" 'BEGIN { print (b > a ? b : a) }')"
        sleep 0.5
      done
      wait "$wrk_pid" || die "wrk failed with 1000 connections on $t"
      rps="$(cat "$WORK/conns.rps")"
      record proxy_conns rss_1000_mib "$t" "$rep" "$peak"
      record proxy_conns rps_1000 "$t" "$rep" "$rps"
      record proxy_conns wrk_timeouts_1000 "$t" "$rep" "$(cat "$WORK/conns.timeouts")"
      log "1000 connections rep $rep $t: peak rss=${peak}MiB rps=$rps wrk timeouts=$(cat "$WORK/conns.timeouts")"
    done
  done
}

# download TARGET PATH RATE -> "ttfb_s total_s bytes peak_rss_mib"; RATE is curl's --limit-rate (0: none)
download() {
  local t="$1" path="$2" limit="$3" peak=0 now curl_pid
  $LOAD_TASKSET curl -sS -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' --limit-rate "$limit" \
    "$(url_of "$t")$path" > "$WORK/download.out" &
  curl_pid=$!
  while kill -0 "$curl_pid" 2>/dev/null; do
    now="$(rss_of "$t")"
    peak="$(awk -v a="$peak" -v b="$now" 'BEGIN { print (b > a ? b : a) }')"
    sleep 0.2
  done
  wait "$curl_pid" || die "download of $path through $t failed"
  echo "$(cat "$WORK/download.out") $peak"
}

section_download() {
  local rep t out before bytes=$((BIG_MB * 1024 * 1024))
  for rep in $(seq 1 "$REPS"); do
    for t in crossfade nginx; do
      before="$(rss_of "$t")"
      record proxy_download rss_before_mib "$t" "$rep" "$before"
      # upstream sending at 25 MB/s (4 s for 100 MB): a streaming proxy hands the first byte on at once
      out="$(download "$t" /slow/big.bin 0)"
      [ "$(cut -d' ' -f3 <<<"$out")" = "$bytes" ] || die "short download through $t: $out"
      record proxy_download slow_upstream_ttfb_ms "$t" "$rep" "$(awk '{ printf "%.1f", $1 * 1000 }' <<<"$out")"
      record proxy_download slow_upstream_total_s "$t" "$rep" "$(cut -d' ' -f2 <<<"$out")"
      record proxy_download slow_upstream_rss_mib "$t" "$rep" "$(cut -d' ' -f4 <<<"$out")"
      # fast upstream, fast client
      out="$(download "$t" /big.bin 0)"
      [ "$(cut -d' ' -f3 <<<"$out")" = "$bytes" ] || die "short download through $t: $out"
      record proxy_download fast_total_s "$t" "$rep" "$(cut -d' ' -f2 <<<"$out")"
      record proxy_download fast_rss_mib "$t" "$rep" "$(cut -d' ' -f4 <<<"$out")"
      # fast upstream, client reading at 10 MB/s: backpressure must hold the upstream back
      out="$(download "$t" /big.bin 10M)"
      [ "$(cut -d' ' -f3 <<<"$out")" = "$bytes" ] || die "short download through $t: $out"
      record proxy_download slow_client_total_s "$t" "$rep" "$(cut -d' ' -f2 <<<"$out")"
      record proxy_download slow_client_rss_mib "$t" "$rep" "$(cut -d' ' -f4 <<<"$out")"
      log "download rep $rep $t: rss before ${before} MiB; $(awk -F'\t' -v t="$t" -v r="$rep" \
        '$1 == "proxy_download" && $3 == t && $4 == r { printf "%s=%s ", $2, $5 }' "$RESULTS")"
    done
  done
}

ensure_tools
if [ "$BUILD" = 1 ]; then build_jars; fi
[ -f "$SIDECAR_JAR" ] && [ -f "$LOADGEN_JAR" ] || die "jars missing: run without --no-build"
require_ports_free "$UP" "$NGX" "$CF" $((CF + 1)) $((CF + 2))
if [ -n "$COMPARE_TRANSPORT" ]; then
  [ -z "$COMPARE_JAR" ] || die "--compare-transport and --compare-jar: one of them"
  COMPARE_JAR="$SIDECAR_JAR"
fi
if [ -n "$COMPARE_JAR" ]; then
  [ -f "$COMPARE_JAR" ] || die "--compare-jar $COMPARE_JAR: no such file"
  COMPARE_JAR="$(cd "$(dirname "$COMPARE_JAR")" && pwd)/$(basename "$COMPARE_JAR")"
  require_ports_free "$CFB" $((CFB + 1)) $((CFB + 2))
fi
describe_machine
start_upstream
start_nginx_proxy
start_crossfade_proxy
[ -z "$COMPARE_JAR" ] || start_crossfade_proxy crossfade-b "$CFB" "$COMPARE_JAR" "${COMPARE_TRANSPORT:-$TRANSPORT}"
if [ "$FLOORS" = 1 ]; then
  [ -f "$BASELINE_JAR" ] || die "--floors needs $BASELINE_JAR (./mvnw -B -Pbench -DskipTests package)"
  start_floor netty "$NETTY_FLOOR"
  start_floor vertx "$VERTX_FLOOR"
fi
for section in ${ONLY//,/ }; do "section_$section"; done
echo "load after: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
"$BENCH_DIR/summarize.sh" "$RESULTS" | tee "$OUT/summary.md"
log "results in $OUT"
