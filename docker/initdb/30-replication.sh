#!/bin/sh
# The role a streaming read replica (compose profile "replica") connects as, and the
# line of pg_hba.conf that lets it stream. Nothing is made without its password.
set -e
if [ -z "${LANDINFO_REPLICATION_PASSWORD:-}" ]; then exit 0; fi
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$LANDINFO_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
