"""OneRoster users.csv (being written)."""
