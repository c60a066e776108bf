"""Import jobs: claim, lease, heartbeat, retry; the worker loop and the in-process pool."""
