"""The import engine: import types, the pipeline, result files. Names no type, dialect or HTTP."""
