#!/usr/bin/env bash
# Runs Weft's benchmarks (P1-P6) in a release build and prints the table that
# docs/performance.md records. Installs wrk and nginx (P4's load generator and ceiling)
# from Debian's packages when missing, and uses PostgreSQL like scripts/test.sh does.
# Usage: scripts/bench.sh [p1|p2|p3|p4|p5|p6|all]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1 || ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
  else
    echo "P4 needs wrk and nginx: apt-get install wrk nginx" >&2
  fi
fi
if [ -z "${WEFT_BENCH_POSTGRES_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -n "$version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do pg_isready -q -h localhost && break; sleep 1; done
    su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='weft'\" | grep -q 1 || psql -q -c \"CREATE ROLE weft LOGIN SUPERUSER PASSWORD 'weft'\"" >/dev/null
    export WEFT_BENCH_POSTGRES_URL=postgres://weft:weft@localhost/postgres
  fi
fi
ulimit -n 20000 2>/dev/null || true
cargo build --release -p weft-bench
# The build may go to a shared target directory (CARGO_TARGET_DIR).
"${CARGO_TARGET_DIR:-target}/release/weft-bench" "${1:-all}"
