# Shared shell helpers for scripts/run.sh, scripts/test.sh and scripts/stack.sh. Source, don't run.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Debian packages: install only what is missing (apt-get update once, only if needed).
ensure_debs() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing Debian packages (${missing[*]}) and no apt-get to install them"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Libraries WeasyPrint loads at run time (PDF invoices), fonts included.
RUNTIME_DEBS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core)

# The virtualenv with the pinned packages; reinstalled only when a lock file changed.
ensure_venv() {
  local lock="$ROOT/requirements/$1.txt"
  command -v python3.11 >/dev/null || die "Python 3.11 is required (python3.11 not found on PATH)"
  [ -x "$PY" ] || { say "creating virtualenv .venv"; python3.11 -m venv "$VENV"; }
  local stamp="$VENV/.installed-$1" sum
  sum=$(cat "$lock" | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    say "installing pinned Python packages ($1)"
    "$PY" -m pip install -q --disable-pip-version-check -U pip==26.3 2> >(grep -v 'is ignored' >&2)
    "$PY" -m pip install -q --disable-pip-version-check -r "$lock" 2> >(grep -v 'is ignored' >&2) \
      || die "pip install -r $lock failed"
    echo "$sum" > "$stamp"
  fi
}

# The front-end libraries (package-lock.json: Leaflet and its marker clustering for the dispatch map) in
# node_modules/, served from our own static files (config/settings/base.py STATICFILES_DIRS); reinstalled only
# when the lock file changed. --ignore-scripts: no package runs code on this machine at install time.
ensure_npm() {
  command -v npm >/dev/null || ensure_debs nodejs npm
  command -v npm >/dev/null || die "npm is not installed and could not be installed"
  local stamp="$ROOT/node_modules/.installed-lock" sum
  sum=$(sha256sum < "$ROOT/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    say "installing pinned front-end packages (npm ci)"
    (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed"
    echo "$sum" > "$stamp"
  fi
}

# PostgreSQL on 127.0.0.1:5432: start the cluster if installed and stopped, install it if absent.
ensure_postgres() {
  if ! command -v pg_lsclusters >/dev/null; then
    ensure_debs postgresql
  fi
  command -v pg_lsclusters >/dev/null || die "PostgreSQL is not installed and could not be installed"
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    [ -n "$ver" ] || die "PostgreSQL is installed but has no cluster (pg_createcluster <ver> main)"
    say "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || die "could not start PostgreSQL ($ver main)"
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL does not answer on 127.0.0.1:5432"
  # Our own role and database (CREATEDB: pytest-django creates test_logitrack).
  local psql=(psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if ! "${psql[@]}" -c "select 1" >/dev/null 2>&1; then
    psql=(su postgres -c "psql -d postgres -v ON_ERROR_STOP=1 -qtA")
  fi
  run_psql() { if [ "${psql[0]}" = su ]; then su postgres -c "psql -d postgres -v ON_ERROR_STOP=1 -qtA -c \"$1\""; else "${psql[@]}" -c "$1"; fi; }
  [ "$(run_psql "select 1 from pg_roles where rolname='logitrack'")" = 1 ] \
    || run_psql "create role logitrack login password 'logitrack' createdb" >/dev/null
  [ "$(run_psql "select 1 from pg_database where datname='logitrack'")" = 1 ] \
    || run_psql "create database logitrack owner logitrack" >/dev/null
}

# The contexts that can have a database of their own (logitrack/db/contexts.py; identity stays on default).
SPLIT_CONTEXTS=(fleet partner billing trips dispatch notifications)

# Split mode (scripts/test-split.sh, docs/extraction.md): one PostgreSQL role per context, logitrack_<context>, with
# its password its name, LOGIN CREATEDB (Django creates test_<database> as that role), owning database
# logitrack_<context>. A context connects as its own role and owns only its own databases: PostgreSQL grants PUBLIC
# no privilege on tables, so the trips role cannot read billing's. Call after ensure_postgres.
ensure_split_databases() {
  local psql=(psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if ! "${psql[@]}" -c "select 1" >/dev/null 2>&1; then
    psql=(su postgres -c "psql -d postgres -v ON_ERROR_STOP=1 -qtA")
  fi
  run_psql() { if [ "${psql[0]}" = su ]; then su postgres -c "psql -d postgres -v ON_ERROR_STOP=1 -qtA -c \"$1\""; else "${psql[@]}" -c "$1"; fi; }
  local ctx role
  for ctx in "${SPLIT_CONTEXTS[@]}"; do
    role="logitrack_$ctx"
    [ "$(run_psql "select 1 from pg_roles where rolname='$role'")" = 1 ] \
      || run_psql "create role $role login password '$role' createdb" >/dev/null
    [ "$(run_psql "select 1 from pg_database where datname='$role'")" = 1 ] \
      || run_psql "create database $role owner $role" >/dev/null
  done
}

# Redis on 127.0.0.1:6379: start it if installed and stopped, install it if absent.
ensure_redis() {
  command -v redis-server >/dev/null || ensure_debs redis-server
  command -v redis-server >/dev/null || die "Redis is not installed and could not be installed"
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    say "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || die "could not start Redis"
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || die "Redis does not answer on 127.0.0.1:6379"
}

# NATS with JetStream on 127.0.0.1:4222 (the outbox's broker for OUTBOX_NATS_SUBSCRIPTIONS, and the NATS tests):
# start Debian's nats-server if installed and stopped, install it if absent.
ensure_nats() {
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || ensure_debs nats-server
  local bin
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  [ -x "$bin" ] || die "nats-server is not installed and could not be installed"
  nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
  if ! nats_up; then
    say "starting NATS (JetStream)"
    mkdir -p /var/lib/nats-server 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec "$bin" -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || die "could not start NATS"
    for _ in $(seq 1 50); do nats_up && break; sleep 0.1; done
  fi
  nats_up || die "NATS does not answer on 127.0.0.1:4222"
}
