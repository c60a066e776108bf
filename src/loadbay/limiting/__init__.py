"""Rate limits and quotas: what one client or tenant may make the server do."""
