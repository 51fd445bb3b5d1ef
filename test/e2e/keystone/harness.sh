#!/usr/bin/env bash
# Real Keystone + real keystonemiddleware audit filter publishing CADF
# notifications to a local RabbitMQ. See README.md in this folder.
#
#   harness.sh install    apt-get the Debian OpenStack packages (idempotent)
#   harness.sh start      state dir, keystone.conf, db_sync, fernet, bootstrap,
#                         uwsgi Keystone + uwsgi fake compute API (auth_token
#                         + audit filters), service user/app credential,
#                         compute service + endpoints
#   harness.sh status     exit 0 iff both servers answer
#   harness.sh scenario   run scenario.py (extra args are passed on, e.g. --verify)
#   harness.sh stop       stop both servers, delete oslo's default queue,
#                         remove the state dir
#
# Environment: KS_PORT (5000), KSM_PORT (8774), KS_STATE_DIR (fresh mktemp
# dir), KS_TRANSPORT_URL (rabbit://guest:guest@127.0.0.1:5672/),
# KS_ADMIN_PASSWORD (random), KS_HARNESS_ROOT (/tmp/cadf-keystone-harness).
# The state dir in use is written to $KS_HARNESS_ROOT/current.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
KS_PORT="${KS_PORT:-5000}"
KSM_PORT="${KSM_PORT:-8774}"
KS_TRANSPORT_URL="${KS_TRANSPORT_URL:-rabbit://guest:guest@127.0.0.1:5672/}"
ROOT="${KS_HARNESS_ROOT:-/tmp/cadf-keystone-harness}"
CURRENT="$ROOT/current"
STOP_TIMEOUT="${KS_STOP_TIMEOUT:-10}"
PACKAGES=(keystone python3-openstackclient python3-keystonemiddleware
          python3-oslo.messaging python3-pycadf python3-amqp
          python3-pastedeploy python3-webob uwsgi-core uwsgi-plugin-python3)
# stdout of the tools we call goes to stderr too: stdout stays for data
T0=$EPOCHREALTIME

log() { printf '[harness %6ss] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$T0" 'BEGIN{printf "%.1f", a-b}')" "$*" >&2; }
die() { printf '[harness] ERROR: %s\n' "$*" >&2; exit 1; }

state_dir() {
  if [[ -n "${KS_STATE_DIR:-}" ]]; then echo "$KS_STATE_DIR"
  elif [[ -s "$CURRENT" ]]; then cat "$CURRENT"
  else return 1; fi
}

# ---------------------------------------------------------------- install
cmd_install() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "install: all ${#PACKAGES[@]} packages already installed"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "install: must run as root (apt-get)"
  log "install: missing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The postinst must touch no database and register nothing.
  debconf-set-selections <<'EOF'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
keystone keystone/dbconfig-install boolean false
keystone keystone/dbconfig-upgrade boolean false
keystone keystone/dbconfig-remove boolean false
EOF
  local apt_install=(apt-get install -y -q --no-install-recommends
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PACKAGES[@]}")
  local alog; alog=$(mktemp /tmp/cadf-harness-install.XXXXXX.log)
  local policy; policy=$(apt-cache policy keystone 2>/dev/null || true)
  if [[ $policy != *"Candidate: "[0-9]* ]]; then
    log "install: no package lists know keystone: apt-get update"
    apt-get update -q >>"$alog" 2>&1 || { tail -20 "$alog" >&2; die "install: apt-get update failed (log $alog)"; }
  fi
  log "install: apt-get install ${#missing[@]} packages (+ dependencies; log $alog)"
  if ! "${apt_install[@]}" >>"$alog" 2>&1; then
    # stale lists (a 404 on a superseded version): refresh once and retry
    log "install: apt-get install failed: apt-get update and retry"
    apt-get update -q >>"$alog" 2>&1 || { tail -20 "$alog" >&2; die "install: apt-get update failed (log $alog)"; }
    "${apt_install[@]}" >>"$alog" 2>&1 || { tail -30 "$alog" >&2; die "install: apt-get install failed (log $alog)"; }
  fi
  log "install: $(grep -c '^Setting up' "$alog") packages set up"
  rm -f "$alog"
  for p in /usr/bin/keystone-manage /usr/bin/keystone-wsgi-public /usr/bin/openstack /usr/bin/uwsgi-core; do
    [[ -x $p ]] || die "install: $p missing after install"
  done
  $PY -c 'import keystonemiddleware.audit, keystonemiddleware.auth_token, oslo_messaging, amqp, paste.deploy' \
    || die "install: python modules missing"
  log "install: done"
}

# ---------------------------------------------------------------- helpers
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true; }

wait_http() { # url expected-code timeout-s name logfile pidfile
  local url=$1 want=$2 t=$3 name=$4 logf=$5 pidf=$6 i code
  for ((i = 0; i < t * 10; i++)); do
    code=$(http_code "$url")
    [[ $code == "$want" ]] && return 0
    if [[ -s $pidf ]] && ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
      tail -30 "$logf" >&2 || true
      die "start: $name died during startup (log: $logf)"
    fi
    sleep 0.1
  done
  tail -30 "$logf" >&2 || true
  die "start: $name did not answer $want on $url within ${t}s (last: $code, log: $logf)"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_pidfiles() { # pidfile:name ... : TERM all, wait, KILL stragglers
  local item pidf name pid i left
  local -A pids=()
  for item in "$@"; do
    pidf=${item%%:*}; name=${item#*:}
    [[ -s $pidf ]] || continue
    pid=$(cat "$pidf")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      pids[$name]=$pid
    fi
    rm -f "$pidf"
  done
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    left=0
    for name in "${!pids[@]}"; do
      if kill -0 "${pids[$name]}" 2>/dev/null; then left=1
      else log "stop: $name (pid ${pids[$name]}) stopped"; unset "pids[$name]"; fi
    done
    [[ $left -eq 0 ]] && return 0
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    log "stop: $name (pid $pid) ignored TERM for ${STOP_TIMEOUT}s: KILL"
    # its uwsgi worker first (child of that master only), then the master
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------- start
write_keystone_conf() { # state-dir
  local S=$1
  cat > "$S/keystone.conf" <<EOF
# generated by harness.sh: a throwaway Keystone for cadf-exporter tests
[DEFAULT]
log_file = $S/keystone.log
use_stderr = false
notification_format = cadf
# empty = opt out of nothing (Zed's default hides successful logins)
notification_opt_out =

[database]
connection = sqlite:///$S/keystone.db

[token]
provider = fernet
expiration = 86400

[fernet_tokens]
key_repository = $S/fernet-keys

[fernet_receipts]
key_repository = $S/fernet-keys

[credential]
key_repository = $S/credential-keys

[identity]
# bcrypt's minimum cost: logins take ms instead of ~0.25 s
password_hash_rounds = 4

[catalog]
driver = sql

[oslo_messaging_notifications]
# Both drivers (a multi-valued option): every notification goes to RabbitMQ and, with the same
# message_id, into keystone.log (oslo's log driver, plain oslo.log lines), so that the file source
# is tested against the same events as the queue (test/e2e/keystone.test.ts).
driver = messagingv2
driver = log
transport_url = $KS_TRANSPORT_URL
topics = notifications

[security_compliance]
lockout_failure_attempts = 3
lockout_duration = 1800
password_regex = ^.{6,}\$
password_regex_description = Passwords must be at least 6 characters long.
unique_last_password_count = 2
EOF
}

write_ksm_conf() { # state-dir app-cred-id app-cred-secret
  local S=$1
  cat > "$S/ksm.conf" <<EOF
# generated by harness.sh: fake compute API behind auth_token + audit
[DEFAULT]
log_file = $S/ksm.log
use_stderr = false
# oslo.log's JSON formatter: the file source reads the audit filter's lines in this format
use_json = true
# control_exchange is left at oslo's default: exchange "openstack"

[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$KS_PORT/v3
auth_url = http://127.0.0.1:$KS_PORT/v3
auth_type = v3applicationcredential
application_credential_id = $2
application_credential_secret = $3
# the service token comes from an application credential: Keystone emits
# no identity.authenticate for it, so auth_token adds nothing to the bus

[audit_middleware_notifications]
# No driver here (a single-valued option): the audit filter then takes
# [oslo_messaging_notifications]' drivers, RabbitMQ and the log file both.
transport_url = $KS_TRANSPORT_URL
topics = notifications

[oslo_messaging_notifications]
driver = messagingv2
driver = log
transport_url = $KS_TRANSPORT_URL
topics = notifications
EOF
}

write_json() { # state-dir
  local S=$1
  cat > "$S/harness.json" <<EOF
{"state_dir": "$S", "ks_url": "http://127.0.0.1:$KS_PORT/v3", "ksm_url": "http://127.0.0.1:$KSM_PORT",
 "ks_port": $KS_PORT, "ksm_port": $KSM_PORT, "transport_url": "$KS_TRANSPORT_URL",
 "admin_user": "admin", "admin_password": "$KS_ADMIN_PASSWORD", "admin_project": "admin",
 "region": "RegionOne", "config_file": "$S/keystone.conf"}
EOF
  chmod 600 "$S/harness.json"
  printf 'KS_PORT=%q\nKSM_PORT=%q\nKS_TRANSPORT_URL=%q\n' "$KS_PORT" "$KSM_PORT" "$KS_TRANSPORT_URL" > "$S/harness.env"
}

load_env() { # state-dir: ports and broker of the running harness win
  [[ -s $1/harness.env ]] && source "$1/harness.env"
  return 0
}

cmd_start() {
  local S
  for b in /usr/bin/keystone-manage /usr/bin/uwsgi-core /usr/lib/uwsgi/plugins/python3_plugin.so; do
    [[ -e $b ]] || die "start: $b missing: run '$0 install' first"
  done
  if [[ -s $CURRENT ]] && [[ -d $(cat "$CURRENT") ]]; then
    die "start: a harness is already running or was not stopped (state dir $(cat "$CURRENT")): run '$0 stop' first"
  fi
  [[ $KS_PORT =~ ^[0-9]+$ && $KS_PORT -ge 1 && $KS_PORT -le 65535 ]] || die "start: bad KS_PORT '$KS_PORT'"
  [[ $KSM_PORT =~ ^[0-9]+$ && $KSM_PORT -ge 1 && $KSM_PORT -le 65535 ]] || die "start: bad KSM_PORT '$KSM_PORT'"
  port_free "$KS_PORT" || die "start: port $KS_PORT (KS_PORT) already in use"
  port_free "$KSM_PORT" || die "start: port $KSM_PORT (KSM_PORT) already in use"
  $PY "$HERE/capture.py" --url "$KS_TRANSPORT_URL" ping \
    || die "start: RabbitMQ not reachable at $KS_TRANSPORT_URL (start it: rabbitmq-server -detached)"
  log "start: broker reachable"

  mkdir -p "$ROOT"
  trap start_failed EXIT
  if [[ -n "${KS_STATE_DIR:-}" ]]; then S=$KS_STATE_DIR; mkdir -p "$S"
  else S=$(mktemp -d "$ROOT/state.XXXXXX"); fi
  S=$(cd "$S" && pwd)
  echo "$S" > "$CURRENT"
  export KS_ADMIN_PASSWORD="${KS_ADMIN_PASSWORD:-admin-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
  mkdir -p "$S/fernet-keys" "$S/credential-keys"
  write_keystone_conf "$S"
  write_json "$S"
  log "start: state dir $S"

  local KM=(keystone-manage --config-file "$S/keystone.conf")
  "${KM[@]}" db_sync >"$S/manage.log" 2>&1 || { tail -20 "$S/manage.log" >&2; die "start: keystone-manage db_sync failed"; }
  log "start: db_sync done"
  $PY - "$S/keystone.db" <<'EOF' || die "start: could not switch the sqlite DB to WAL"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
mode = c.execute("PRAGMA journal_mode=WAL").fetchone()[0]
assert mode == "wal", mode
c.close()
EOF
  log "start: sqlite journal_mode=wal"
  "${KM[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$S/manage.log" 2>&1 \
    || { tail -20 "$S/manage.log" >&2; die "start: fernet_setup failed"; }
  "${KM[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$S/manage.log" 2>&1 \
    || { tail -20 "$S/manage.log" >&2; die "start: credential_setup failed"; }
  log "start: fernet and credential keys in $S"
  "${KM[@]}" bootstrap --bootstrap-password "$KS_ADMIN_PASSWORD" \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "http://127.0.0.1:$KS_PORT/v3/" \
    --bootstrap-public-url "http://127.0.0.1:$KS_PORT/v3/" \
    --bootstrap-internal-url "http://127.0.0.1:$KS_PORT/v3/" >>"$S/manage.log" 2>&1 \
    || { tail -20 "$S/manage.log" >&2; die "start: keystone-manage bootstrap failed"; }
  log "start: bootstrap done (admin / region RegionOne / identity endpoints)"

  # ONE process, ONE thread (sqlite). "Connection: close" on every response:
  # uwsgi's http-socket closes after each response anyway, and without the
  # header python-requests may reuse the half-closed socket (ECONNRESET).
  uwsgi-core --plugins python3 --master --die-on-term --no-orphans \
    --processes 1 --threads 1 --enable-threads --need-app \
    --http-socket "127.0.0.1:$KS_PORT" --buffer-size 65535 --add-header "Connection: close" \
    --wsgi-file /usr/bin/keystone-wsgi-public --procname-prefix "cadf-harness-" \
    --env "OS_KEYSTONE_CONFIG_FILES=$S/keystone.conf" \
    --pidfile "$S/keystone.pid" --daemonize "$S/keystone-uwsgi.log" \
    || die "start: uwsgi for keystone failed to launch"
  wait_http "http://127.0.0.1:$KS_PORT/v3" 200 60 keystone "$S/keystone-uwsgi.log" "$S/keystone.pid"
  log "start: keystone up on http://127.0.0.1:$KS_PORT/v3 (pid $(cat "$S/keystone.pid"))"

  $PY "$HERE/scenario.py" --state-dir "$S" setup > "$S/setup.json" \
    || die "start: setup (service user, app credential, compute endpoints) failed"
  local ac_id ac_secret
  ac_id=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["app_cred_id"])' "$S/setup.json")
  ac_secret=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["app_cred_secret"])' "$S/setup.json")
  write_ksm_conf "$S" "$ac_id" "$ac_secret"
  log "start: service user + application credential + compute service/endpoints created"

  uwsgi-core --plugins python3 --master --die-on-term --no-orphans \
    --processes 1 --threads 1 --enable-threads --need-app \
    --http-socket "127.0.0.1:$KSM_PORT" --buffer-size 65535 --add-header "Connection: close" \
    --chdir "$HERE" --pythonpath "$HERE" --wsgi-file "$HERE/ksm_app.py" \
    --procname-prefix "cadf-harness-" \
    --env "KSM_CONFIG_FILE=$S/ksm.conf" --env "KSM_PASTE_INI=$HERE/ksm-paste.ini" \
    --pidfile "$S/ksm.pid" --daemonize "$S/ksm-uwsgi.log" \
    || die "start: uwsgi for the audited fake compute API failed to launch"
  # no token: auth_token answers 401 and nothing is audited
  wait_http "http://127.0.0.1:$KSM_PORT/v2.1/servers" 401 60 ksm "$S/ksm-uwsgi.log" "$S/ksm.pid"
  log "start: audited fake compute API up on http://127.0.0.1:$KSM_PORT (pid $(cat "$S/ksm.pid"))"

  $PY "$HERE/capture.py" --url "$KS_TRANSPORT_URL" delete-queue notifications.info \
    || log "start: WARNING could not delete oslo's default queue notifications.info"
  trap - EXIT
  log "start: ready; state dir $S (written to $CURRENT)"
  echo "$S"
}

start_failed() {
  local rc=$?
  [[ $rc -eq 0 ]] && return 0
  if [[ -n "${KS_KEEP_ON_FAILURE:-}" ]]; then
    log "start: FAILED; KS_KEEP_ON_FAILURE set: left as is for inspection ('$0 stop' cleans up)"
  else
    log "start: FAILED; cleaning up (set KS_KEEP_ON_FAILURE=1 to keep the state dir and logs)"
    cmd_stop || true
  fi
  exit $rc
}

# ---------------------------------------------------------------- status
cmd_status() {
  local S ok=0
  S=$(state_dir) || { log "status: not started (no $CURRENT)"; return 1; }
  load_env "$S"
  [[ -s $S/keystone.pid ]] && kill -0 "$(cat "$S/keystone.pid")" 2>/dev/null || { log "status: keystone not running"; ok=1; }
  [[ -s $S/ksm.pid ]] && kill -0 "$(cat "$S/ksm.pid")" 2>/dev/null || { log "status: ksm not running"; ok=1; }
  [[ $ok -eq 0 ]] || return 1
  [[ $(http_code "http://127.0.0.1:$KS_PORT/v3") == 200 ]] || { log "status: keystone not answering on $KS_PORT"; return 1; }
  [[ $(http_code "http://127.0.0.1:$KSM_PORT/v2.1/servers") == 401 ]] || { log "status: ksm not answering on $KSM_PORT"; return 1; }
  log "status: keystone :$KS_PORT and audited compute :$KSM_PORT up (state $S)"
}

# ---------------------------------------------------------------- stop
cmd_stop() {
  local S
  if ! S=$(state_dir); then log "stop: nothing to stop (no $CURRENT)"; return 0; fi
  load_env "$S"
  if [[ -d $S ]]; then
    stop_pidfiles "$S/ksm.pid:ksm" "$S/keystone.pid:keystone"
  fi
  if $PY "$HERE/capture.py" --url "$KS_TRANSPORT_URL" ping 2>/dev/null; then
    $PY "$HERE/capture.py" --url "$KS_TRANSPORT_URL" delete-queue notifications.info \
      || log "stop: WARNING could not delete queue notifications.info"
  else
    log "stop: broker unreachable: queue notifications.info not checked"
  fi
  case "$S" in
    /|"") die "stop: refusing to remove state dir '$S'";;
  esac
  rm -rf -- "$S"
  [[ -s $CURRENT && $(cat "$CURRENT") == "$S" ]] && rm -f "$CURRENT"
  rmdir "$ROOT" 2>/dev/null || true
  log "stop: removed $S"
}

cmd_scenario() {
  local S
  S=$(state_dir) || die "scenario: not started (no $CURRENT)"
  exec $PY "$HERE/scenario.py" --state-dir "$S" run "$@"
}

case "${1:-}" in
  install) cmd_install;;
  start) cmd_start;;
  stop) cmd_stop;;
  status) cmd_status;;
  scenario) shift; cmd_scenario "$@";;
  *) echo "usage: $0 install|start|stop|status|scenario [--verify]" >&2; exit 2;;
esac
