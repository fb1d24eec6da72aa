#!/bin/sh
# Apply migrations, make the ledger's signing key if there is none, make the journal's
# tables append-only for the app's role too, then run the server.
# LANDINFO_LOAD_DEMO=1 loads the demo district.
set -e
manage() { /venv/bin/python manage.py "$@"; }
if [ -n "${LANDINFO_SUPERUSER_DATABASE_URL:-}" ]; then
  # A migration may alter the journal's tables: their owner's rights, for that time only.
  manage harden_journal --undo
fi
manage migrate --no-input
manage generate_signing_key --if-missing
if [ "${LANDINFO_LOAD_DEMO:-0}" = 1 ]; then manage load_demo; fi
if [ -n "${LANDINFO_SUPERUSER_DATABASE_URL:-}" ]; then
  manage harden_journal
fi
# The server never holds the superuser's password.
unset LANDINFO_SUPERUSER_DATABASE_URL
exec "$@"
