#!/usr/bin/env bash
# Debian packages the tests use. Installs only what is missing, so a warm machine pays nothing.
set -euo pipefail
need=()
command -v rabbitmqctl >/dev/null || need+=(rabbitmq-server)
# promtool and prometheus: the alert rule tests and the dashboards' PromQL against a real Prometheus.
{ command -v promtool >/dev/null && [ -x /usr/bin/prometheus ]; } || need+=(prometheus)
# prometheus-alertmanager: notifications end to end (test/service/alertmanager.test.ts) and the
# Prometheus rules routed to it (test/dashboards/alertmanager.test.ts).
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
# tmux: `cadf-exporter tail` tested as a terminal program (capture-pane).
command -v tmux >/dev/null || need+=(tmux)
# openssl: the throwaway CAs of the TLS tests; logrotate: the file source's rotation tests.
command -v openssl >/dev/null || need+=(openssl)
command -v logrotate >/dev/null || need+=(logrotate)
# docker-compose: `docker-compose config` validates docker-compose.yml (no Docker engine needed).
command -v docker-compose >/dev/null || need+=(docker-compose)
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
