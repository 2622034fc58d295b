#!/usr/bin/env bash
# A scale-out Mogplex on this machine, to try by hand: a fresh private PostgreSQL (initdb into a temp dir) and
# redis-server on random loopback ports, `mogplex admin migrate` once, N `mogplex serve` replicas that execute
# no runs (MOGPLEX_WORKER_CONCURRENCY=0), M `mogplex worker` processes, and a round-robin front (with MCP
# session affinity) in front of the replicas. Everything shares one configuration; Ctrl-C stops it all and
# removes the temp dir. The machine's own PostgreSQL and Redis are never touched.
#
#   npx tsc -b && scripts/cluster.sh [--replicas 3] [--workers 2] [--check]
#
# Model settings (MOGPLEX_DEFAULT_MODEL, provider keys, MOGPLEX_OPENAI_COMPATIBLE_BASE_URL, …) and limits are
# taken from your environment and given to every process alike. --check starts everything, asks every replica
# and the front for /readyz, and stops again (exit 0 when all are ready).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/apps/cli/dist/bin/mogplex.js"
FRONT="$ROOT/apps/server/src/test-support/cluster/front.mjs"

REPLICAS=3
WORKERS=2
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --check) CHECK=1; shift ;;
    *) echo "usage: scripts/cluster.sh [--replicas N] [--workers N] [--check]" >&2; exit 2 ;;
  esac
done
[ -f "$BIN" ] || { echo "cluster: build first (npx tsc -b)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "cluster: redis-server is not installed" >&2; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$PGBIN" ] || PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/initdb" ] || { echo "cluster: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/mogplex-cluster-XXXXXX")
PIDS=()
PGPID=""
cleanup() {
  trap - EXIT INT TERM
  echo "cluster: stopping"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$PGPID" ]; then
    kill -INT "$PGPID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PGPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PGPID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() {
  node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
secret() { node -e 'console.log(require("node:crypto").randomBytes(32).toString("base64url"))'; }
# Waits until FILE contains PATTERN; fails if PID is gone first.
wait_for() {
  local file=$1 pattern=$2 pid=$3
  for _ in $(seq 1 600); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "cluster: $(basename "$file" .log) exited:" >&2; cat "$file" >&2; exit 1; }
    sleep 0.1
  done
  echo "cluster: timed out waiting for $(basename "$file" .log)" >&2
  exit 1
}

# PostgreSQL refuses to run as root: as root, the instance runs as the postgres user.
AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DIR"
  AS=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
fi
PGPORT=$(freeport)
"${AS[@]}" "$PGBIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
"${AS[@]}" "$PGBIN/postgres" -D "$DIR/pg" -p "$PGPORT" -k "$DIR" -c listen_addresses=127.0.0.1 \
  -c max_connections=200 >"$DIR/postgres.log" 2>&1 &
PGPID=$!
for _ in $(seq 1 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
"$PGBIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "create database mogplex" >/dev/null

REDISPORT=$(freeport)
redis-server --port "$REDISPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$DIR" \
  >"$DIR/redis.log" 2>&1 &
PIDS+=($!)

FRONTPORT=$(freeport)
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/mogplex"
export REDIS_URL="redis://127.0.0.1:$REDISPORT"
export MOGPLEX_ENCRYPTION_KEY=${MOGPLEX_ENCRYPTION_KEY:-$(secret)}
export MOGPLEX_SIGNING_SECRET=${MOGPLEX_SIGNING_SECRET:-$(secret)}
export MOGPLEX_AUTH_SECRET=${MOGPLEX_AUTH_SECRET:-$(secret)}
export MOGPLEX_REGISTRY_SIGNING_KEY=${MOGPLEX_REGISTRY_SIGNING_KEY:-$(secret)}
export MOGPLEX_REGISTRY_URL_SECRET=${MOGPLEX_REGISTRY_URL_SECRET:-$(secret)}
export MOGPLEX_PUBLIC_URL="http://127.0.0.1:$FRONTPORT"
export MOGPLEX_WORKER_CONCURRENCY=0
export MOGPLEX_HOME="$DIR/home"

(umask 077 && for v in DATABASE_URL REDIS_URL MOGPLEX_ENCRYPTION_KEY MOGPLEX_SIGNING_SECRET MOGPLEX_AUTH_SECRET MOGPLEX_REGISTRY_SIGNING_KEY MOGPLEX_REGISTRY_URL_SECRET \
  MOGPLEX_PUBLIC_URL; do printf 'export %s=%q\n' "$v" "${!v}"; done >"$DIR/cluster.env")

node "$BIN" admin migrate --data-dir "$DIR/admin"

UPSTREAMS=()
for i in $(seq 1 "$REPLICAS"); do
  port=$(freeport)
  node "$BIN" serve --host 127.0.0.1 --port "$port" --data-dir "$DIR/replica-$i" >"$DIR/replica-$i.log" 2>&1 &
  PIDS+=($!)
  UPSTREAMS+=("http://127.0.0.1:$port")
  eval "REPLICA_PID_$i=$!"
done
for i in $(seq 1 "$WORKERS"); do
  node "$BIN" worker --concurrency 1 --data-dir "$DIR/worker-$i" >"$DIR/worker-$i.log" 2>&1 &
  PIDS+=($!)
  eval "WORKER_PID_$i=$!"
done
for i in $(seq 1 "$REPLICAS"); do eval "wait_for \"$DIR/replica-$i.log\" 'mogplex listening on' \$REPLICA_PID_$i"; done
for i in $(seq 1 "$WORKERS"); do eval "wait_for \"$DIR/worker-$i.log\" 'mogplex worker .* started' \$WORKER_PID_$i"; done
node "$FRONT" --port "$FRONTPORT" "${UPSTREAMS[@]}" >"$DIR/front.log" 2>&1 &
PIDS+=($!)
wait_for "$DIR/front.log" "front listening" $!

echo
echo "Mogplex cluster ($REPLICAS replicas, $WORKERS workers) — logs in $DIR"
echo "  front        $MOGPLEX_PUBLIC_URL"
for i in $(seq 1 "$REPLICAS"); do echo "  replica $i    ${UPSTREAMS[$((i - 1))]}"; done
echo "  DATABASE_URL $DATABASE_URL"
echo "  REDIS_URL    $REDIS_URL"
SETUP=$(grep -ho 'http://[^ ]*/setup#token=[A-Za-z0-9_]*' "$DIR/replica-1.log" | head -n 1 || true)
[ -n "$SETUP" ] && echo "  first owner  $SETUP"
echo "  admin        . $DIR/cluster.env && node $BIN admin …   (the shared configuration, 0600)"
echo

if [ "$CHECK" = 1 ]; then
  ok=0
  for u in "${UPSTREAMS[@]}" "$MOGPLEX_PUBLIC_URL"; do
    code=$(node -e 'fetch(process.argv[1]+"/readyz").then(r=>console.log(r.status),()=>console.log(0))' "$u")
    echo "  $u/readyz → $code"
    [ "$code" = 200 ] || ok=1
  done
  exit $ok
fi
echo "Ctrl-C stops everything."
while sleep 3600; do :; done
