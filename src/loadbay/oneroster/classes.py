"""OneRoster classes.csv (being written)."""
