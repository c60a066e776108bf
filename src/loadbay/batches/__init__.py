"""Seed 003: the import batches dialect (batches, file upload, GetImportEntries, result download)."""
