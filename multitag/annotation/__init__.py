"""Annotation: the pool and its reveal mask, query units, oracles."""
from multitag.annotation.oracle import Oracle, SimulationOracle
from multitag.annotation.pool import Annotation, Pool, Query, RevealStats

__all__ = ["Pool", "Query", "Annotation", "RevealStats", "Oracle", "SimulationOracle"]
