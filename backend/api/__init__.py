"""The HTTP API (FastAPI): thin routers over `backend.services`."""
