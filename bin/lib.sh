# Shared steps of bin/run and bin/test. Sourced, not executed.
# Every step is idempotent and skips work that is already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m!!\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    warn "need root for: $*"; return 1; fi
}

ensure_python() {
  local stamp="$VENV/.requirements.sha256"
  local want
  # Development installs the runtime pins plus the tools (requirements-dev.txt includes
  # requirements.txt); the stamp covers both files so editing either reinstalls.
  want="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$PY" ]; then
    say "creating the Python environment (.venv)"
    python3 -m venv "$VENV" || { as_root apt-get install -y python3-venv && python3 -m venv "$VENV"; }
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing Python packages"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r "$ROOT/requirements-dev.txt"
    echo "$want" >"$stamp"
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null; then
    say "installing Node.js and npm (Debian packages)"
    as_root apt-get update -qq && as_root apt-get install -y -qq nodejs npm
  fi
}

ensure_frontend() {
  ensure_node
  local stamp="$ROOT/frontend/node_modules/.lock.sha256"
  local want
  want="$(sha256sum "$ROOT/frontend/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing frontend packages (npm ci)"
    (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
  say "building the viewer bundle"
  (cd "$ROOT/frontend" && npm run --silent build)
}

postgres_up() {
  "$PY" - "$1" <<'PY'
import socket, sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    socket.create_connection((u.hostname or "localhost", u.port or 5432), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

redis_up() {
  "$PY" - "$1" <<'PY'
import sys
import redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}

start_postgres_if_installed() {
  if ls /etc/postgresql/*/main >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do postgres_up "$DATABASE_URL" && return 0; sleep 1; done
  fi
  return 1
}

start_redis_if_installed() {
  if command -v redis-server >/dev/null; then
    say "starting Redis"
    mkdir -p /tmp/corelab-redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /tmp/corelab-redis --logfile /tmp/corelab-redis/redis.log || true
    for _ in $(seq 1 20); do redis_up "$REDIS_URL" && return 0; sleep 0.5; done
  fi
  return 1
}

ensure_database_exists() {
  "$PY" - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlparse, unquote
import psycopg
u = urlparse(sys.argv[1])
name = unquote(u.path.lstrip("/")) or "corelab"
conn = psycopg.connect(host=u.hostname or "localhost", port=u.port or 5432,
                       user=unquote(u.username or "postgres"), password=unquote(u.password or ""),
                       dbname="postgres", autocommit=True)
if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
    conn.execute(f'create database "{name}"')
    print(f"created database {name}")
PY
}

ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
}

ensure_nginx() {
  # Debian's nginx-light: the reverse proxy of the production topology (bin/serve, the nginx
  # blinding tests). Only the binary is used: bin/serve writes its own configuration.
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    say "installing Debian's nginx-light (reverse proxy of bin/serve and its tests)"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light
  fi
}

ensure_dcmtk() {
  # Debian's dcmtk: dsrdump/dcmdump check the DICOM SR reports in the tests.
  if ! command -v dsrdump >/dev/null || ! command -v dcmdump >/dev/null; then
    say "installing Debian's dcmtk for the DICOM SR tests"
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk
  fi
}
