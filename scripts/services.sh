#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the test suite.
#   scripts/services.sh start   -> writes .services/env (TEST_DATABASE_URL, TEST_REDIS_URL)
#   scripts/services.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="$PWD/.services"
PG_PORT="${HF_TEST_PG_PORT:-55432}"
REDIS_PORT="${HF_TEST_REDIS_PORT:-56379}"

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }; done
  dirname "$(command -v pg_ctl)"
}

as_pg() {  # pg_ctl refuses to run as root
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  stop >/dev/null 2>&1 || true
  mkdir -p "$STATE"
  local bin data
  bin="$(pg_bin)"
  data="$(mktemp -d /tmp/homefinder-pg.XXXXXX)"
  echo "$data" > "$STATE/pgdata"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$data"
  as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  cat > "$STATE/env" <<ENV
export TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres
export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
ENV
  echo "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
}

stop() {
  if [ -f "$STATE/pgdata" ]; then
    local data; data="$(cat "$STATE/pgdata")"
    [ -d "$data" ] && as_pg "$(pg_bin)/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data" "$STATE/pgdata"
  fi
  if [ -f "$STATE/redis.pid" ]; then
    kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
    rm -f "$STATE/redis.pid"
  fi
  rm -f "$STATE/env"
}

"$@"
