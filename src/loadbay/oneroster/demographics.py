"""OneRoster demographics.csv (being written)."""
