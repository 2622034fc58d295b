#!/usr/bin/env bash
# The whole test suite: system setup, build, lint, type-check, then every test on SQLite and again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx tsc -b && npm run -w @mogplex/web build
npx tsc -p tsconfig.check.json
npx biome check .

export MOGPLEX_TEST_PG_URL="${MOGPLEX_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
export MOGPLEX_TEST_REDIS_URL="${MOGPLEX_TEST_REDIS_URL:-redis://127.0.0.1:6379}"

echo "== tests on SQLite (embedded default)"
# The scale-out suite starts its own PostgreSQL and Redis cluster: it belongs to the PostgreSQL phase only.
MOGPLEX_TEST_DB=sqlite npx vitest run --exclude "apps/server/src/scale-out/**"
echo "== integration tests on PostgreSQL + Redis (scale-out)"
# Only the files whose outcome can depend on the database (scripts/db-tests.mjs); the rest ran above unchanged.
db_list="$(node scripts/db-tests.mjs)"
mapfile -t db_tests <<<"$db_list"
MOGPLEX_TEST_DB=postgres npx vitest run "${db_tests[@]}"
