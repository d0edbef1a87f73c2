"""Entry point of a Celery worker: ``celery -A backend.jobs.worker worker -B --loglevel=info``.

Reads the same environment as the API (``DATABASE_URL``, ``TRIBUNAL_ARTIFACT_DIR``,
``TRIBUNAL_CELERY_BROKER_URL``); the worker must see the same database and artifact directory.
"""

from backend.jobs.celery_app import make_celery
from backend.settings import get_settings

app = make_celery(get_settings())
