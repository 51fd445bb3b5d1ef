#!/usr/bin/python3
"""Capture oslo.messaging notifications from RabbitMQ (and small AMQP chores).

Run with Debian's /usr/bin/python3 (needs python3-amqp, installed by
`harness.sh install` as a dependency of oslo.messaging/kombu).

Subcommands:
  listen        bind an exclusive, auto-delete queue of its own to the topic
                exchanges (default: keystone, openstack) with routing key
                `notifications.*` and print one JSON line per message until
                SIGINT/SIGTERM, --idle seconds without a message, --seconds
                elapsed, or --count messages.
  ping          connect to the broker and exit 0 (exit 1 if unreachable).
  delete-queue  delete the named queues (oslo's default `notifications.info`)
                when no consumer uses them; missing queues are fine.

The exchanges are declared exactly as oslo.messaging declares them (type topic,
durable=False, auto_delete=False), so declaring them before Keystone exists is
harmless and never triggers PRECONDITION_FAILED.

Also importable: scenario.py uses Capture for its --verify mode.
"""
import argparse
import json
import os
import signal
import socket
import sys
import time
import urllib.parse

import amqp

DEFAULT_URL = os.environ.get("KS_TRANSPORT_URL",
                             "rabbit://guest:guest@127.0.0.1:5672/")
DEFAULT_EXCHANGES = ("keystone", "openstack")


def parse_transport_url(url):
    """rabbit://user:pass@host:port/vhost -> kwargs for amqp.Connection."""
    u = urllib.parse.urlparse(url)
    if u.scheme not in ("rabbit", "amqp"):
        raise ValueError("unsupported transport url scheme: %r" % u.scheme)
    vhost = urllib.parse.unquote(u.path[1:]) if len(u.path) > 1 else "/"
    return dict(host="%s:%d" % (u.hostname or "127.0.0.1", u.port or 5672),
                userid=urllib.parse.unquote(u.username or "guest"),
                password=urllib.parse.unquote(u.password or "guest"),
                virtual_host=vhost)


def connect(url=DEFAULT_URL, timeout=5):
    conn = amqp.Connection(connect_timeout=timeout, **parse_transport_url(url))
    conn.connect()
    return conn


def decode_body(body):
    """AMQP body -> the oslo notification dict (v2 envelope or v1 plain)."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    msg = json.loads(body)
    envelope = None
    if isinstance(msg, dict) and "oslo.version" in msg and "oslo.message" in msg:
        envelope = msg["oslo.version"]
        msg = json.loads(msg["oslo.message"])
    return envelope, msg


def summarize(exchange, routing_key, body):
    """One captured message -> flat record used for comparisons."""
    envelope, msg = decode_body(body)
    payload = msg.get("payload") or {}
    reason = payload.get("reason") or {}
    return {
        "exchange": exchange,
        "routing_key": routing_key,
        "envelope": envelope,
        "event_type": msg.get("event_type"),
        "outcome": payload.get("outcome"),
        "reasonCode": reason.get("reasonCode"),
        "message": msg,
    }


class Capture(object):
    """An exclusive queue bound to the notification exchanges."""

    def __init__(self, url=DEFAULT_URL, exchanges=DEFAULT_EXCHANGES,
                 binding_key="notifications.*"):
        self.conn = connect(url)
        self.ch = self.conn.channel()
        self.records = []
        for ex in exchanges:
            self.ch.exchange_declare(ex, "topic", durable=False,
                                     auto_delete=False)
        self.queue, _, _ = self.ch.queue_declare(
            "", exclusive=True, auto_delete=True, durable=False)
        for ex in exchanges:
            self.ch.queue_bind(self.queue, ex, binding_key)
        self.ch.basic_consume(self.queue, callback=self._on_message,
                              no_ack=True)

    def _on_message(self, m):
        di = m.delivery_info
        self.records.append(summarize(di.get("exchange"),
                                      di.get("routing_key"), m.body))

    def pump(self, timeout):
        """Process messages for up to `timeout` seconds; return #received."""
        before = len(self.records)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                self.conn.drain_events(timeout=left)
            except socket.timeout:
                break
        return len(self.records) - before

    def _drain_once(self, timeout):
        try:
            self.conn.drain_events(timeout=max(0.001, timeout))
            return True
        except socket.timeout:
            return False

    def wait_for(self, total, timeout=10.0, settle=0.2):
        """Wait until at least `total` records arrived (or `timeout`), then
        until `settle` seconds pass without a message (to catch extras)."""
        deadline = time.monotonic() + timeout
        while len(self.records) < total:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._drain_once(left)
        while self._drain_once(settle):
            pass
        return self.records

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


def _line(rec, full):
    if full:
        return rec
    out = {k: v for k, v in rec.items() if k != "message"}
    p = rec["message"].get("payload") or {}
    ini = p.get("initiator")
    out["initiator"] = (ini.get("username") or ini.get("name")
                        or ini.get("user_name")) if ini else None
    out["target_id"] = (p.get("target") or {}).get("id")
    return out


CONNECTION_ERRORS = (OSError, amqp.exceptions.ConnectionError,
                     amqp.exceptions.RecoverableConnectionError)


def cmd_listen(args):
    stop = {"flag": False}

    def _stop(*_):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    out = open(args.out, "a") if args.out else sys.stdout
    start = time.monotonic()
    last = start
    n = 0
    cap = None
    while not stop["flag"]:
        if cap is None:
            try:
                cap = Capture(args.url, args.exchanges.split(","))
            except CONNECTION_ERRORS as e:
                print("capture: cannot connect (%s): retrying" % e,
                      file=sys.stderr, flush=True)
                time.sleep(1)
                continue
            print("capture: listening on %s (queue %s)"
                  % (args.exchanges, cap.queue), file=sys.stderr, flush=True)
        try:
            got = cap.pump(0.2)
        except CONNECTION_ERRORS as e:
            # e.g. a test doing `rabbitmqctl close_all_connections`: bind a
            # new queue; whatever was published in between is lost
            print("capture: connection lost (%s): reconnecting; messages "
                  "published meanwhile are NOT captured" % e,
                  file=sys.stderr, flush=True)
            cap.close()
            cap = None
            continue
        now = time.monotonic()
        for rec in cap.records:
            out.write(json.dumps(_line(rec, args.full), sort_keys=True)
                      + "\n")
            n += 1
        out.flush()
        del cap.records[:]
        if got:
            last = now
        if args.count and n >= args.count:
            break
        if args.idle and now - last >= args.idle:
            break
        if args.seconds and now - start >= args.seconds:
            break
    if cap is not None:
        cap.close()
    print("capture: %d messages" % n, file=sys.stderr)
    return 0


def cmd_ping(args):
    try:
        connect(args.url).close()
    except Exception as e:  # noqa
        print("capture: broker %s unreachable: %s" % (args.url, e),
              file=sys.stderr)
        return 1
    return 0


def cmd_delete_queue(args):
    conn = connect(args.url)
    rc = 0
    for name in args.queues:
        ch = conn.channel()
        try:
            _, count, consumers = ch.queue_declare(name, passive=True)
        except amqp.exceptions.NotFound:
            continue  # channel is closed by the broker; nothing to do
        if consumers:
            print("capture: queue %s has %d consumer(s): left alone"
                  % (name, consumers), file=sys.stderr)
            ch.close()
            continue
        ch.queue_delete(name)
        print("capture: deleted queue %s (%d messages)" % (name, count),
              file=sys.stderr)
        ch.close()
    conn.close()
    return rc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=DEFAULT_URL,
                    help="oslo transport url (default $KS_TRANSPORT_URL or "
                         "rabbit://guest:guest@127.0.0.1:5672/)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("listen")
    p.add_argument("--exchanges", default=",".join(DEFAULT_EXCHANGES))
    p.add_argument("--out", help="append JSON lines to this file")
    p.add_argument("--full", action="store_true",
                   help="include the decoded oslo message")
    p.add_argument("--idle", type=float, default=0,
                   help="stop after this many seconds without a message")
    p.add_argument("--seconds", type=float, default=0)
    p.add_argument("--count", type=int, default=0)
    p.set_defaults(fn=cmd_listen)
    p = sub.add_parser("ping")
    p.set_defaults(fn=cmd_ping)
    p = sub.add_parser("delete-queue")
    p.add_argument("queues", nargs="+")
    p.set_defaults(fn=cmd_delete_queue)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
