"""The answers of the files API, named as the JSON spells them (they document the OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FileOut(BaseModel):
    id: str
    accountId: str
    documentType: str | None = Field(
        description="Invoice, CSV or Document; null when none was given or recognised."
    )
    fileName: str | None = Field(description="The client's file name, cleaned; metadata only.")
    size: int
    contentType: str = Field(
        description="Detected from the bytes; the request's Content-Type is not trusted."
    )
    sha256: str
    uploadedAt: str
    referenceId: str | None = Field(description="The import this file was handed to with importType.")


class UploadOut(FileOut):
    warnings: list[str] = Field(
        description="What was accepted but not applied, e.g. an unknown documentType."
    )


class FileListOut(BaseModel):
    files: list[FileOut]
    nextCursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class SignedUrlOut(BaseModel):
    signedUrl: str
    expiresIn: int
