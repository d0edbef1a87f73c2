"""Prometheus metrics of the API, the indexer and the jobs (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("tribunal_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "tribunal_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
INDEXER_CURSOR = Gauge("tribunal_indexer_block", "last indexed block")
INDEXER_HEAD = Gauge("tribunal_indexer_chain_head", "chain head seen by the indexer")
INDEXER_EVENTS = Counter("tribunal_indexer_events_total", "events indexed")
INDEXER_REORGS = Counter("tribunal_indexer_reorgs_total", "reorgs rolled back")
INDEXER_RANGE = Gauge("tribunal_indexer_logs_range_blocks", "blocks per eth_getLogs request")
INDEXER_RPC_ERRORS = Counter("tribunal_indexer_rpc_errors_total", "RPC errors seen by the indexer", ["kind"])
INDEXER_BATCH = Histogram(
    "tribunal_indexer_batch_seconds",
    "time to fetch and commit one batch",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PROGRESS_REPORTS = Counter("tribunal_progress_reports_total", "signed progress reports", ["outcome"])
ARTIFACT_BYTES = Counter("tribunal_artifact_bytes_total", "artifact bytes", ["direction"])
ARTIFACT_UPLOADS = Counter("tribunal_artifact_uploads_total", "artifact uploads", ["outcome"])
JOBS = Counter("tribunal_jobs_total", "background jobs run", ["job", "outcome"])
STREAM_CLIENTS = Gauge("tribunal_stream_clients", "connected live-stream clients")
