#!/usr/bin/env bash
# Starts the machine's RabbitMQ when 127.0.0.1:5672 is closed, and waits until it accepts connections.
set -euo pipefail
port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if port_open; then echo "RabbitMQ is up"; exit 0; fi
if ! command -v rabbitmq-server >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi
echo "starting RabbitMQ"
rabbitmq-server -detached
for _ in $(seq 1 90); do
  if port_open; then echo "RabbitMQ is up"; exit 0; fi
  sleep 1
done
echo "RabbitMQ did not open 127.0.0.1:5672 within 90 s" >&2
exit 1
