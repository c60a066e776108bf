"""Seed-003 payment import types, and the companies, projects and batches they are imported for.

Importing this package registers the import types.
"""

from loadbay.payments import retention, types

__all__ = ["retention", "types"]
