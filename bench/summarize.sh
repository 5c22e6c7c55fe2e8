#!/usr/bin/env bash
# Summarises a results.tsv of bench/run.sh: for every (section, metric, target) the median and the
# spread (min-max) over the repetitions, then the ratios the targets are stated in, each computed
# within one repetition (same run, same conditions) and summarised the same way.
#   bench/summarize.sh bench/results/<run>/results.tsv
set -euo pipefail
results="${1:?usage: summarize.sh results.tsv}"

# median and min-max of the values on stdin (one per line)
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "| - | - | 0 |"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "| %.4g | %.4g – %.4g | %d |\n", m, v[1], v[NR], NR }'
}

echo "## Measurements (median, min – max over repetitions)"
echo
echo "| section | metric | target | median | min – max | n |"
echo "| --- | --- | --- | --- | --- | --- |"
cut -f1-3 "$results" | sort -u | while IFS=$'\t' read -r section metric target; do
  printf '| %s | %s | %s ' "$section" "$metric" "$target"
  awk -F'\t' -v s="$section" -v m="$metric" -v t="$target" '$1 == s && $2 == m && $3 == t { print $5 }' "$results" | stats
done

echo
echo "## Ratios (computed per repetition, then median, min – max)"
echo
echo "| section | metric | ratio | median | min – max | n |"
echo "| --- | --- | --- | --- | --- | --- |"
while read -r section metric num den; do
  values="$(awk -F'\t' -v s="$section" -v m="$metric" -v a="$num" -v b="$den" '
    $1 == s && $2 == m && $3 == a { x[$4] = $5 }
    $1 == s && $2 == m && $3 == b { y[$4] = $5 }
    END { for (r in x) if ((r in y) && y[r] > 0) print x[r] / y[r] }' "$results")"
  [ -n "$values" ] || continue
  printf '| %s | %s | %s / %s ' "$section" "$metric" "$num" "$den"
  stats <<<"$values"
done <<'PAIRS'
throughput rps sidecar17 bare17
throughput rps sidecar17 nginx
throughput rps sidecar25 bare25
throughput rps sidecar25 nginx
throughput rps sidecar25 sidecar17
throughput rps_loadgen sidecar17-uds sidecar17-tcp
latency p99_us sidecar17 bare17
latency p99_us sidecar17-uds sidecar17
latency p99_us sidecar25 bare25
footprint rps sidecar17 bare17
footprint rps sidecar25 bare25
proxy_throughput rps crossfade nginx
proxy_throughput rps crossfade direct
proxy_throughput rps nginx direct
proxy_throughput rps crossfade-b crossfade
proxy_throughput cpu_us_per_request crossfade-b crossfade
proxy_latency p50_us crossfade nginx
proxy_latency p99_us crossfade nginx
proxy_latency added_p50_us crossfade nginx
proxy_latency added_p50_us netty-floor nginx
proxy_latency added_p50_us vertx-floor nginx
proxy_latency added_p50_us crossfade vertx-floor
proxy_latency added_p99_us crossfade nginx
proxy_latency added_p99_us netty-floor nginx
proxy_latency added_p99_us vertx-floor nginx
proxy_throughput rps netty-floor nginx
proxy_throughput rps vertx-floor nginx
proxy_throughput rps crossfade vertx-floor
proxy_throughput rps crossfade netty-floor
proxy_throughput cpu_us_per_request crossfade nginx
proxy_throughput cpu_us_per_request netty-floor nginx
proxy_throughput cpu_us_per_request vertx-floor nginx
proxy_throughput cpu_user_us_per_request crossfade nginx
proxy_throughput cpu_user_us_per_request netty-floor nginx
proxy_throughput cpu_system_us_per_request netty-floor nginx
proxy_conns rss_1000_mib crossfade nginx
proxy_conns rps_1000 crossfade nginx
footprint rss_warm_mib sidecar17 bare17
footprint rss_load_mib sidecar17 bare17
footprint ready_ms sidecar17 bare17
footprint rss_warm_mib sidecar25 bare25
footprint rss_load_mib sidecar25 bare25
footprint ready_ms sidecar25 bare25
footprint ready_ms sidecar25 sidecar17
footprint rss_load_mib sidecar25 sidecar17
ofrep rps get single
ofrep rps bulk304 bulk200
PAIRS
