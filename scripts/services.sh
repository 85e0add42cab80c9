#!/usr/bin/env bash
# Makes sure the services the tests talk to are running: PostgreSQL and MariaDB (started with the
# machine's own commands when they are down) and the Tango stack (scripts/tango-stack.sh).
# Idempotent; `ensure` never stops the test run (missing services are reported by the tests).
# Usage: scripts/services.sh [ensure|status]
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-ensure}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
my_up() { mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 || mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; }

wait_for() { # name check seconds
  for _ in $(seq 1 "$3"); do "$2" && return 0; sleep 1; done
  echo "services: $1 did not come up within $3 s" >&2
  return 1
}

status=0
if [ "$mode" = status ]; then
  pg_up && echo "PostgreSQL: up" || { echo "PostgreSQL: down"; status=1; }
  my_up && echo "MariaDB: up" || { echo "MariaDB: down"; status=1; }
  [ -x scripts/tango-stack.sh ] && scripts/tango-stack.sh status || true
  exit $status
fi

if ! pg_up && command -v pg_ctlcluster >/dev/null; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for PostgreSQL pg_up 30 || status=1
fi
if ! my_up && [ -x /usr/sbin/mariadbd ]; then
  echo "services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  wait_for MariaDB my_up 30 || status=1
fi
if [ -x scripts/tango-stack.sh ]; then
  scripts/tango-stack.sh start || status=1
fi
# on a developer's machine a missing service only skips the tests that need it (they say so);
# under CI=true those tests fail, so the run goes on and reports them
if [ $status -ne 0 ]; then
  echo "services: not every service is up; the tests that need a missing one will $([ "${CI:-}" = true ] && echo fail || echo be skipped)" >&2
fi
exit 0
