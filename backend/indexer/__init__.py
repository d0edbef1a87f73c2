"""Follows the deployment's contracts and folds their events into SQL tables, reorg-safe."""
