"""Seed-003 payment import types, and the companies, projects and batches they are imported for.

Importing this package registers the import types.
"""

from loadbay.payments import types

__all__ = ["types"]
