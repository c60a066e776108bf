"""Loadbay: self-hosted bulk data intake over an API."""

__version__ = "0.1.0"
