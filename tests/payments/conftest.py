from tests.batches.conftest import merchant

__all__ = ["merchant"]
