"""The TAO-Advance-style rostering dialect (seeds 000-002): upload, status, download."""
