"""Where exports' files go: the exports bucket, written part by part (S3 multipart upload), read through a presigned
link (rapport.downloads). `ExportFiles` is the port the writer and the service use; `S3ExportFiles` its adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from rapport import aws, config, downloads
from rapport.exports.models import ExportFormat

CONTENT_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.JSON: "application/json"}


class ExportFiles(Protocol):
    def begin(self, key: str, content_type: str) -> str:
        """A new file at `key` of `content_type`, written in parts: its upload id."""
        ...

    def put_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        """Part `number` (from 1; sent again, it replaces the first): its ETag."""
        ...

    def finish(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        """The file made of its parts, in order."""
        ...

    def abort(self, key: str, upload_id: str) -> None:
        """The parts forgotten; no file (nothing to do when they are already gone, or were made the file)."""
        ...

    def download_url(self, key: str, filename: str, content_type: str) -> str: ...


class S3ExportFiles:
    """The stage's exports bucket (config `exports_bucket`)."""

    @property
    def _bucket(self) -> str:
        return config.current().require("exports_bucket")

    def begin(self, key: str, content_type: str) -> str:
        started = aws.client("s3").create_multipart_upload(Bucket=self._bucket, Key=key, ContentType=content_type)
        return str(started["UploadId"])

    def put_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        put = aws.client("s3").upload_part(
            Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        return str(put["ETag"])

    def finish(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        parts = [{"ETag": etag, "PartNumber": number} for number, etag in enumerate(etags, start=1)]
        aws.client("s3").complete_multipart_upload(
            Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    def abort(self, key: str, upload_id: str) -> None:
        try:
            aws.client("s3").abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise

    def download_url(self, key: str, filename: str, content_type: str) -> str:
        return downloads.download_url(self._bucket, key, filename, content_type)


S3_EXPORT_FILES = S3ExportFiles()
