"""Where imports' files go: the file a user uploads (through a presigned PUT) and the reports the runner writes, in
the exports bucket under `imports/` (infra/constructs/exports.py). `ImportFiles` is the port the service and the
runner use; `S3ImportFiles` its adapter."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Protocol

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from rapport import aws, config, downloads

CSV = "text/csv"
READ_CHUNK = 1024 * 1024
HEADER_BYTES = 64 * 1024
SPOOLED = 8 * 1024 * 1024  # a report is kept in memory up to this size, then on the function's disk


class ImportFiles(Protocol):
    def upload_url(self, key: str) -> str: ...

    def size(self, key: str) -> int | None:
        """The uploaded file's size in bytes; None before it is uploaded."""
        ...

    def read(self, key: str, offset: int = 0, length: int | None = None) -> Iterable[bytes]:
        """The file's bytes from `offset` (to its end, or `length` of them), in chunks, as they arrive."""
        ...

    def write(self, key: str, lines: Iterable[bytes]) -> None:
        """A CSV file at `key` made of `lines`, in constant memory."""
        ...

    def download_url(self, key: str, filename: str) -> str: ...


class S3ImportFiles:
    """The stage's exports bucket (config `exports_bucket`)."""

    @property
    def _bucket(self) -> str:
        return config.current().require("exports_bucket")

    def upload_url(self, key: str) -> str:
        return downloads.upload_url(self._bucket, key, CSV)

    def size(self, key: str) -> int | None:
        try:
            head = aws.client("s3").head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def read(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        last = "" if length is None else str(offset + length - 1)
        got = aws.client("s3").get_object(Bucket=self._bucket, Key=key, Range=f"bytes={offset}-{last}")
        yield from got["Body"].iter_chunks(READ_CHUNK)

    def write(self, key: str, lines: Iterable[bytes]) -> None:
        with tempfile.SpooledTemporaryFile(max_size=SPOOLED) as file:
            for line in lines:
                file.write(line)
            file.seek(0)
            aws.client("s3").put_object(Bucket=self._bucket, Key=key, Body=file, ContentType=f"{CSV}; charset=utf-8")

    def download_url(self, key: str, filename: str) -> str:
        return downloads.download_url(self._bucket, key, filename, f"{CSV}; charset=utf-8")


S3_IMPORT_FILES = S3ImportFiles()
