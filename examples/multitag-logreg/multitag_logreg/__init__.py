"""Example multitag plugin: a per-token logistic-regression backend and a Gini-impurity strategy."""
