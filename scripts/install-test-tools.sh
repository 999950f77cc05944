#!/usr/bin/env bash
# Installs the command-line tools the tests drive (Debian/Ubuntu): database clients for backup-db and
# run-migrations, and the Debian-packaged migration tools its adapter tests run (alembic, sqitch; the npm ones are
# devDependencies). Called by .ci/run and the CI workflow. Idempotent: installs only what is missing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have psql || need+=(postgresql-client)
have pg_dump || need+=(postgresql-client)
have mariadb || need+=(mariadb-client)
have alembic || need+=(alembic python3-psycopg2 python3-pymysql)
have sqitch || need+=(sqitch libdbd-pg-perl libdbd-mysql-perl)

if ((${#need[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "Installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "psql: $(psql --version | head -1)"
echo "alembic: $(alembic --version 2>&1 | head -1)"
echo "sqitch: $(sqitch --version 2>&1 | head -1)"
