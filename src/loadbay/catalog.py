"""Every import type Loadbay ships. The composition roots (the app, a worker) load them."""

from __future__ import annotations


def load_import_types() -> None:
    """Register the shipped import types; importing their packages registers them."""
    import loadbay.oneroster
    import loadbay.payments
    import loadbay.rostering  # noqa: F401
