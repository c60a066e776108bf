"""Idempotent uploads: the ``Idempotency-Key`` header (IETF httpapi draft) on every upload endpoint."""
