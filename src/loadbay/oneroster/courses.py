"""OneRoster courses.csv (being written)."""
