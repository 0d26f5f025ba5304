#!/bin/sh
# Initialise the cluster on first start (an empty data directory: a volume mounted there), then
# run PostgreSQL in the foreground (`--init-only`: initialise and stop; the image does it at
# build time, so that a container starts from an initialised cluster). Database "medcard", user "postgres", trust on the container's networks.
set -eu
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  su postgres -c "initdb -D '$PGDATA' -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8" >/dev/null
  {
    echo "local all all trust"
    echo "host all all 127.0.0.1/32 trust"
    echo "host all all samenet trust"
  } > "$PGDATA/pg_hba.conf"
  su postgres -c "pg_ctl -D '$PGDATA' -o '-c listen_addresses=' -w start" >/dev/null
  su postgres -c "psql -q -c 'CREATE DATABASE medcard'"
  su postgres -c "pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null
fi
[ "${1:-}" = "--init-only" ] && exit 0
echo "medcard-postgres: starting"
exec su postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*' -c fsync=on -c synchronous_commit=on"
