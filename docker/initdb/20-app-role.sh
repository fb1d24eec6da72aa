#!/bin/sh
# The application's own role, not a superuser (scripts/setup makes the same for the local
# cluster): the superuser stays with the operator, who runs `harden_journal` with it.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$LANDINFO_DB_PASSWORD" <<'SQL'
CREATE ROLE landinfo LOGIN PASSWORD :'app_password';
-- Never every connection (scripts/setup does the same): past it the app is refused while
-- the superuser and the replica still get in. gunicorn needs 24 (landinfo/gunicorn_conf.py).
SELECT format('ALTER ROLE landinfo CONNECTION LIMIT %s', setting::int - 20)
FROM pg_settings WHERE name = 'max_connections' \gexec
ALTER DATABASE landinfo OWNER TO landinfo;
ALTER SCHEMA public OWNER TO landinfo;
SQL
