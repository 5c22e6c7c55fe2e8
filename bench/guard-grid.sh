#!/usr/bin/env bash
# The guard's promise over the audit's scenario grid, through `crossfade guard simulate` (the real
# decision code on a virtual clock). Prints one block per scenario; BENCHMARKS.md, "The guard", has
# the figures of the last run and bench/results/guard/ its raw output.
#
#   bench/guard-grid.sh [RUNS]        (default 200 runs a scenario; GuardPromiseTest pins 1 000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200}"
jar=sidecar/target/crossfade-sidecar.jar
[ -f "$jar" ] || ./mvnw -B -q -pl sidecar -am package -DskipTests
users=(--units 10000 --bad-units 0.005:0.5 --heavy-units 0.01:100)
run() {
  echo "=== guard simulate $*"
  java -jar "$jar" guard simulate "$@" | grep -E 'false halts|HALTED|^[0-9]+/|halts by step|before the onset|simulated in'
}
# no false halts (A/A)
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 2 --runs "$runs" "${users[@]}"
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 2 --runs "$runs"
run --rate 200 --percent 5:15m,25:15m,50:15m,100 --old-error-rate 0.005 --new-error-rate 0.005 --hours 2 --runs "$runs" "${users[@]}"
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 2 --runs "$runs" "${users[@]}" --guard '{maxRatio: 1}'
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 2 --runs "$runs" "${users[@]}" --retries 4
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 2 --runs "$runs" "${users[@]}" --retries 4 --guard '{maxRatio: 1}'
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 1 --runs "$runs" "${users[@]}" --storm 10m:500:10s
run --rate 200 --percent 10 --old-error-rate 0.005 --new-error-rate 0.005 --hours 6 --runs "$runs" "${users[@]}" --restart-every 10m
# regressions
run --rate 200 --percent 10 --old-error-rate 0.01 --new-error-rate 0.03 --hours 1 --runs "$runs" "${users[@]}"
run --rate 200 --percent 10 --old-error-rate 0.01 --new-error-rate 0.03 --hours 8.25 --runs 100 "${users[@]}" --onset 8h
run --rate 200 --percent 10 --old-error-rate 0.01 --new-error-rate 0.1 --hours 8.25 --runs 100 "${users[@]}" --onset 8h
run --rate 200 --percent 10 --old-error-rate 0.01 --new-error-rate 0.01 --hours 1 --runs "$runs" "${users[@]}" --broken-units 0.05
run --rate 200 --percent 10 --old-error-rate 0.01 --new-error-rate 0.01 --hours 1 --runs "$runs" --units 10000 --broken-units 0.05
run --rate 200 --percent 1 --old-error-rate 0.01 --new-error-rate 0.03 --hours 0.5 --runs "$runs" "${users[@]}"
run --rate 20 --percent 10 --old-error-rate 0.01 --new-error-rate 0.03 --hours 0.5 --runs "$runs" "${users[@]}"
# a day
run --rate 1 --percent 10 --old-error-rate 0.01 --new-error-rate 0.01 --hours 24 --runs 50 "${users[@]}"
run --rate 5000 --percent 1 --old-error-rate 0.001 --new-error-rate 0.001 --hours 24 --runs 10 "${users[@]}"
