"""Operator agent: stakes, claims tasks, trains them with RepOps, defends its results."""
