"""Experiments: configuration, budgets, the grid of runs, results on disk."""
