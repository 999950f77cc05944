#!/usr/bin/env bash
# Tools the tests, bench and demo need beyond npm: nginx (the reverse proxy blue-green and canary switch).
# Idempotent: does nothing when they are there. Run by .ci/run; needs root (or sudo) for apt-get.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-tools: nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "install-test-tools: installing ${need[*]}"
$SUDO apt-get update -qq
# policy-rc.d keeps the package from starting a system nginx on port 80: the tests run their own.
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# Some images start it anyway; the tests never use the system service.
if command -v service >/dev/null 2>&1; then $SUDO service nginx stop >/dev/null 2>&1 || true; fi
nginx -v
