#!/usr/bin/env bash
# Test-only tools for run-migrations' adapter tests that come from Debian (the npm ones are devDependencies).
# Called by .ci/run. Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v alembic >/dev/null 2>&1 || need+=(alembic python3-psycopg2 python3-pymysql)
command -v sqitch >/dev/null 2>&1 || need+=(sqitch libdbd-pg-perl libdbd-mysql-perl)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "alembic: $(alembic --version 2>&1 | head -1)"
echo "sqitch: $(sqitch --version 2>&1 | head -1)"
