"""OneRoster orgs.csv (being written)."""
