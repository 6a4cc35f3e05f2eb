"""Scoring a library: reading records, scoring chunks in workers, ranking, the crash-safe run store, the orchestrator."""
