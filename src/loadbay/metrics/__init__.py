"""Prometheus metrics: what the API and the workers did, and what is waiting."""
