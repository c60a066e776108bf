"""The imports API: every import a client may see, listed, in detail, and its result file."""
