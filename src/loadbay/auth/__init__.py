"""OAuth2 client credentials: API clients, tokens, scope checks."""

SCOPES = ("rostering", "payments", "files")
