#!/usr/bin/env bash
# Installs the command-line tools the tests drive (Debian/Ubuntu): database clients for backup-db and
# run-migrations, age (backup encryption interop), the Debian-packaged migration tools its adapter tests run
# (alembic, sqitch; the npm ones are devDependencies), jq and curl for the workflow scripts, and nginx, the reverse proxy the deploy tests, bench and demo switch traffic with (run by
# the tests themselves as a foreground process on a random 127.0.0.1 port; the system service is not used).
# Called by .ci/run and the CI workflow. Idempotent: installs only what is missing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have psql || need+=(postgresql-client)
have pg_dump || need+=(postgresql-client)
have mariadb || need+=(mariadb-client)
have alembic || need+=(alembic python3-psycopg2 python3-pymysql)
have sqitch || need+=(sqitch libdbd-pg-perl libdbd-mysql-perl)
have nginx || need+=(nginx-light)
# backup-db's encryption interop tests: the age CLI decrypts what the action encrypts, and the reverse.
have age || need+=(age)
# release.yml's run: scripts (the demo and the plan tests run them as the runner would): jq, curl, git.
have jq || need+=(jq)
have curl || need+=(curl)
have git || need+=(git)

if ((${#need[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "Installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Some images start the packaged service; the tests never use it.
  if have service; then "${sudo_cmd[@]}" service nginx stop >/dev/null 2>&1 || true; fi
fi
echo "psql: $(psql --version | head -1)"
echo "alembic: $(alembic --version 2>&1 | head -1)"
echo "sqitch: $(sqitch --version 2>&1 | head -1)"
echo "nginx: $(nginx -v 2>&1 | head -1)"
echo "age: $(age --version 2>&1 | head -1)"
echo "jq: $(jq --version 2>&1 | head -1)"
