"""Small shared pieces: object storage, CSV sniffing, multipart streaming, spreadsheet-safe cells."""
