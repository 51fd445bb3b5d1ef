#!/usr/bin/env bash
# Debian packages the tests use. Installs only what is missing, so a warm machine pays nothing.
set -euo pipefail
need=()
command -v rabbitmqctl >/dev/null || need+=(rabbitmq-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "all present"
fi
# The real Keystone and keystonemiddleware of the end-to-end tests (harness.sh installs them with
# debconf pre-answered; done here so the test run does not pay for it).
bash "$(dirname "$0")/../test/e2e/keystone/harness.sh" install
