"""Serving Loadbay-signed URLs for local object storage."""
