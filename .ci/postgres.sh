#!/usr/bin/env bash
# Install PostgreSQL from Debian's packages, start it, create a test user and database,
# and print the database URL (the only thing written to stdout). Idempotent; run as root.
#
#   SCREENKIT_TEST_POSTGRES_URL="$(bash .ci/postgres.sh)"
#   export SCREENKIT_TEST_POSTGRES_URL
#
# (assign first, then export: `export X="$(...)"` would hide a failure of the script)
set -euo pipefail

DB="${SCREENKIT_PG_DB:-screenkit_test}"
ROLE="${SCREENKIT_PG_USER:-screenkit}"
PASSWORD="${SCREENKIT_PG_PASSWORD:-screenkit}"

if [ "$(id -u)" != 0 ]; then
    echo "postgres.sh: run as root (it installs and starts a system service)" >&2
    exit 1
fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null; then
    echo "postgres.sh: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1 " " $2}' | grep -qx "$VERSION main"; then
    pg_createcluster "$VERSION" main >&2
fi
if ! pg_ctlcluster "$VERSION" main status >/dev/null 2>&1; then
    pg_ctlcluster "$VERSION" main start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')"

for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2

as_postgres() { runuser -u postgres -- "$@"; }
as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -q >&2 <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
    ELSE
        ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
    END IF;
END
\$\$;
SQL
if [ "$(as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    as_postgres createdb -p "$PORT" -O "$ROLE" "$DB" >&2
fi

echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
