"""Helpers the suites share, imported as a library: conftest files hold only fixtures and hooks.

`chain` (the devnet and its actors), `specs` (small task specs), `waiting` (poll with a deadline),
`backend` (serving the backend), `databases` (SQLite and PostgreSQL for tests), `indexing` (indexers
and comparable dumps), `market_scenarios` (histories the indexer folds), `agents` (operator agents
and executors), `submitter` (posting tasks), `disputes` (the verifier's scenarios), `config_files`.
"""
