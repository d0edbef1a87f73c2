"""Tribunal's backend: chain indexer, SQL storage, REST/SSE API, artifact store, background jobs."""
