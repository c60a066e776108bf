"""Signed completion webhooks (Standard Webhooks): endpoints, a delivery queue, dispatchers."""
