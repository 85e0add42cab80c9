#!/usr/bin/env bash
# Real Tango stack for tests: Debian's DataBaseds (port 10000, MariaDB database "tango") and
# TangoTest (device sys/tg_test/1).
#   scripts/tango-stack.sh start    install (apt, idempotent) and start; prints TANGO_HOST=...
#   scripts/tango-stack.sh stop     stop only the processes this script started (PID files)
#   scripts/tango-stack.sh status   report what runs
# Environment: TANGO_STACK_STATE (state dir, default /tmp/nxsw-tango-stack), TANGO_PORT (10000),
# TANGO_STACK_TIMEOUT (seconds to wait for each service, default 60).
set -euo pipefail

STATE=${TANGO_STACK_STATE:-/tmp/nxsw-tango-stack}
PORT=${TANGO_PORT:-10000}
TIMEOUT=${TANGO_STACK_TIMEOUT:-60}
DBPASS=tango
PACKAGES=(mariadb-server mariadb-client dbconfig-no-thanks tango-db tango-test tango-starter libtango-tools python3-tango)
export TANGO_HOST=localhost:$PORT

die() { echo "tango-stack: $*" >&2; exit 1; }
log() { echo "tango-stack: $*" >&2; }

# A PID file is trusted only while that PID still runs the expected program, so a recycled PID
# is never killed.
pid_alive() { # name expected-command-substring
  local f="$STATE/$1.pid" pid
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

db_answers() { timeout 5 tango_admin --ping-database 1 >/dev/null 2>&1; }
tg_answers() { timeout 5 tango_admin --ping-device sys/tg_test/1 1 >/dev/null 2>&1; }
mariadb_answers() { mysqladmin -u root --protocol=socket ping >/dev/null 2>&1 || mysqladmin -u root -h 127.0.0.1 ping >/dev/null 2>&1; }

wait_for() { # description check-function
  local end=$((SECONDS + TIMEOUT))
  until "$2"; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  [[ $(id -u) == 0 ]] || die "packages missing (${missing[*]}) and not root; install them first"
  # Answer tango-common's TANGO_HOST question; dbconfig-no-thanks keeps tango-db's postinst
  # away from the database (the schema is loaded below).
  echo "tango-common tango-common/tango-host string localhost:$PORT" | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >"$STATE/apt.log" 2>&1 || die "apt-get install failed, see $STATE/apt.log"
}

start_mariadb() {
  mariadb_answers && return 0
  log "starting MariaDB"
  /etc/init.d/mariadb start >"$STATE/mariadb.log" 2>&1 || true
  wait_for MariaDB mariadb_answers || die "MariaDB did not answer within ${TIMEOUT}s (see $STATE/mariadb.log)"
  touch "$STATE/mariadb.started"
}

mysql_root() { mysql -u root --protocol=socket "$@" 2>/dev/null || mysql -u root -h 127.0.0.1 "$@"; }

create_database() {
  # users and grants every time (idempotent), so a database left by another setup also works over TCP
  mysql_root <<SQL || die "cannot create database tango / user tango in MariaDB"
CREATE DATABASE IF NOT EXISTS tango;
CREATE USER IF NOT EXISTS 'tango'@'localhost' IDENTIFIED BY '$DBPASS';
CREATE USER IF NOT EXISTS 'tango'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
GRANT ALL PRIVILEGES ON tango.* TO 'tango'@'localhost';
GRANT ALL PRIVILEGES ON tango.* TO 'tango'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  if mysql_root -N -e "SELECT 1 FROM tango.device LIMIT 1" >/dev/null 2>&1; then return 0; fi
  log "loading the tango-db schema into MariaDB database 'tango'"
  # The install script uses the mysql client's "source" with relative paths.
  (cd /usr/share/tango-db && mysql_root tango </usr/share/dbconfig-common/data/tango-db/install/mysql) \
    >"$STATE/schema.log" 2>&1 || die "loading the tango-db schema failed, see $STATE/schema.log"
}

start_databaseds() {
  if db_answers; then return 0; fi
  pid_alive databaseds DataBaseds && die "DataBaseds (pid $(cat "$STATE/databaseds.pid")) runs but does not answer"
  log "starting DataBaseds on port $PORT"
  MYSQL_USER=tango MYSQL_PASSWORD=$DBPASS MYSQL_HOST=127.0.0.1 MYSQL_DATABASE=tango \
    setsid nohup /usr/lib/tango/DataBaseds 2 -ORBendPoint "giop:tcp::$PORT" >"$STATE/databaseds.log" 2>&1 </dev/null &
  echo $! >"$STATE/databaseds.pid"
  wait_for DataBaseds db_answers || die "DataBaseds did not answer within ${TIMEOUT}s (see $STATE/databaseds.log)"
}

start_tangotest() {
  if tg_answers; then return 0; fi
  pid_alive tangotest TangoTest && die "TangoTest (pid $(cat "$STATE/tangotest.pid")) runs but does not answer"
  tango_admin --add-server TangoTest/test TangoTest sys/tg_test/1 >/dev/null 2>&1 || die "tango_admin --add-server failed"
  log "starting TangoTest test"
  setsid nohup /usr/lib/tango/TangoTest test >"$STATE/tangotest.log" 2>&1 </dev/null &
  echo $! >"$STATE/tangotest.pid"
  wait_for TangoTest tg_answers || die "TangoTest did not answer within ${TIMEOUT}s (see $STATE/tangotest.log)"
}

stop_one() { # name expected-command-substring
  if pid_alive "$1" "$2"; then
    local pid
    pid=$(cat "$STATE/$1.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$STATE/$1.pid"
}

case "${1:-}" in
  start)
    mkdir -p "$STATE"
    install_packages
    start_mariadb
    create_database
    start_databaseds
    start_tangotest
    echo "TANGO_HOST=$TANGO_HOST"
    ;;
  stop)
    stop_one tangotest TangoTest
    stop_one databaseds DataBaseds
    if [[ -f $STATE/mariadb.started ]]; then
      /etc/init.d/mariadb stop >/dev/null 2>&1 || true
      rm -f "$STATE/mariadb.started"
      log "stopped MariaDB"
    fi
    ;;
  status)
    rc=0
    if mariadb_answers; then echo "mariadb: up"; else echo "mariadb: down"; rc=1; fi
    if command -v tango_admin >/dev/null && db_answers; then echo "databaseds: up (TANGO_HOST=$TANGO_HOST)"; else echo "databaseds: down"; rc=1; fi
    if command -v tango_admin >/dev/null && tg_answers; then echo "tangotest: up (sys/tg_test/1)"; else echo "tangotest: down"; rc=1; fi
    exit $rc
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
