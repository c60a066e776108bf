"""CSV templates: the header row of every import type, as the Portal's template download gives it."""
