"""TAO-Portal-style rostering import types. Importing this package registers them."""

# isort: off
# Registration order is the order the Portal lists its templates in; messages list them so.
from loadbay.rostering import organizations, users, groups, links, sessions

# isort: on

__all__ = ["groups", "links", "organizations", "sessions", "users"]
