"""Seed 004: document uploads for accounts (``/files/v1``), over the core's auth and storage."""
