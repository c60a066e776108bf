"""TAO-Portal-style rostering import types. Importing this package registers them."""

from loadbay.rostering import users as users

__all__ = ["users"]
