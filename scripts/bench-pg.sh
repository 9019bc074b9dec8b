#!/usr/bin/env bash
# Compares the PostgreSQL adapter with pgbench on the same server: pgbench's simple-update
# transactions (-N) with 1 and 8 clients in a scratch database, then the adapter's escrow cycle
# (BenchmarkEscrowCycle: two durable transactions per cycle) with 1 and 8 clients and its browse
# latency (BenchmarkBrowse), and whole lifecycles through the HTTP API
# (BenchmarkLifecycleHTTPPostgres), and prints the throughputs as shares of pgbench's.
#
# Environment: AGENTGIGS_TEST_DATABASE_URL (default: the local CI server), PGBENCH_TIME seconds
# per pgbench run (default 10), BENCHTIME for go test -benchtime (default 10s),
# AGENTGIGS_BENCH_BROWSE_JOBS jobs seeded for the browse benchmark (default 20000).
set -euo pipefail
cd "$(dirname "$0")/.."

url="${AGENTGIGS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
seconds="${PGBENCH_TIME:-10}"
benchtime="${BENCHTIME:-10s}"
db=agentgigs_bench

# The scratch database's URL: the test URL with its database name replaced.
base="${url%%\?*}"
query=""
if [[ "${url}" == *\?* ]]; then
	query="?${url#*\?}"
fi
scratch="${base%/*}/${db}${query}"

command -v pgbench >/dev/null || { echo "pgbench is not installed (apt-get install postgresql-client)" >&2; exit 1; }
psql "${url}" -qc "DROP DATABASE IF EXISTS ${db}" -c "CREATE DATABASE ${db}"
trap 'psql "${url}" -qc "DROP DATABASE IF EXISTS ${db}"' EXIT

echo "== pgbench -i in ${db}"
pgbench -i -q "${scratch}" 2>&1 | tail -n 1
tps() { pgbench -N -T "${seconds}" "$@" "${scratch}" 2>/dev/null | awk '$1 == "tps" { print $3; exit }'; }
echo "== pgbench -N -c1 -T${seconds}"
pg1="$(tps -c1)"
echo "tps ${pg1}"
echo "== pgbench -N -c8 -j2 -T${seconds}"
pg8="$(tps -c8 -j2)"
echo "tps ${pg8}"

echo "== go test -bench (adapters/postgres, -cpu 1, -benchtime ${benchtime})"
out="$(mktemp)"
AGENTGIGS_TEST_DATABASE_URL="${url}" go test -run '^$' -bench 'BenchmarkEscrowCycle|BenchmarkBrowse' \
	-benchtime "${benchtime}" -cpu 1 ./adapters/postgres/ | tee "${out}"
AGENTGIGS_TEST_DATABASE_URL="${url}" go test -run '^$' -bench 'BenchmarkLifecycleHTTPPostgres' \
	-benchtime "${benchtime}" -cpu 1 ./apps/agentgigs/api/ | tee -a "${out}"
metric() { awk -v name="$1" -v unit="$2" '$1 ~ "^"name { for (i = 2; i <= NF; i++) if ($i == unit) { print $(i-1); exit } }' "${out}"; }
go1="$(metric 'BenchmarkEscrowCycle/clients=1' 'tx/s')"
go8="$(metric 'BenchmarkEscrowCycle/clients=8' 'tx/s')"
p50="$(metric BenchmarkBrowse 'p50-µs')"
p99="$(metric BenchmarkBrowse 'p99-µs')"
life="$(metric BenchmarkLifecycleHTTPPostgres 'lifecycles/s')"
rm -f "${out}"

echo "== summary"
awk -v g1="${go1}" -v g8="${go8}" -v p1="${pg1}" -v p8="${pg8}" -v p50="${p50}" -v p99="${p99}" -v life="${life}" 'BEGIN {
	printf "escrow transactions, 1 client:  %8.1f tx/s  pgbench -N %8.1f tps  ratio %.2f\n", g1, p1, g1 / p1
	printf "escrow transactions, 8 clients: %8.1f tx/s  pgbench -N %8.1f tps  ratio %.2f\n", g8, p8, g8 / p8
	printf "escrow cycles (2 tx each):      %8.1f /s (1 client, ratio %.2f)  %8.1f /s (8 clients, ratio %.2f)\n", g1 / 2, g1 / 2 / p1, g8 / 2, g8 / 2 / p8
	printf "HTTP lifecycles, 1 client:      %8.1f /s  ratio %.3f\n", life, life / p1
	printf "browse (Jobs.List):             p50 %s µs  p99 %s µs\n", p50, p99
}'
