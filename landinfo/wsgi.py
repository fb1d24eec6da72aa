"""WSGI entry point (gunicorn landinfo.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
application = get_wsgi_application()
