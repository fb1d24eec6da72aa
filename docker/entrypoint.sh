#!/bin/sh
# Apply migrations, then run the server. LANDINFO_LOAD_DEMO=1 loads the demo district.
set -e
/venv/bin/python manage.py migrate --no-input
if [ "${LANDINFO_LOAD_DEMO:-0}" = 1 ]; then /venv/bin/python manage.py load_demo; fi
exec "$@"
