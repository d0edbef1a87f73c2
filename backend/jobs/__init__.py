"""Background jobs on Celery (Redis broker), or in-process when no broker is configured."""
