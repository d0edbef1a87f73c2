"""Handlers per contract; importing this package registers them all."""

from backend.indexer.handlers import diloco_jobs, dispute_game, stake_manager, task_market

__all__ = ["diloco_jobs", "dispute_game", "stake_manager", "task_market"]
