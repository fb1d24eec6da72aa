#!/bin/sh
# The application's own role, not a superuser (scripts/setup makes the same for the local
# cluster): the superuser stays with the operator, who runs `harden_journal` with it.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$LANDINFO_DB_PASSWORD" <<'SQL'
CREATE ROLE landinfo LOGIN PASSWORD :'app_password';
ALTER DATABASE landinfo OWNER TO landinfo;
ALTER SCHEMA public OWNER TO landinfo;
SQL
