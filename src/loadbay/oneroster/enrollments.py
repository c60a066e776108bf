"""OneRoster enrollments.csv (being written)."""
