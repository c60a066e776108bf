"""OneRoster academic_sessions.csv (being written)."""
