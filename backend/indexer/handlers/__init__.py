"""Handlers per contract; importing this package registers them all."""

from backend.indexer.handlers import dispute_game, stake_manager, task_market

__all__ = ["dispute_game", "stake_manager", "task_market"]
