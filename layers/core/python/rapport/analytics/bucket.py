"""The analytics bucket (infra/constructs/analytics.py; the local runtime's S3 locally), as the exporter uses it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rapport import aws

DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


class S3Bucket:
    def __init__(self, name: str) -> None:
        self.name = name

    def put(self, key: str, path: Path) -> None:
        """Upload the file, read as it is sent (one PutObject takes up to 5 GB: a tenant's dataset fits)."""
        with path.open("rb") as body:
            aws.client("s3").put_object(Bucket=self.name, Key=key, Body=body)

    def get(self, key: str) -> bytes | None:
        """The object's content, or None when there is none."""
        try:
            answer = aws.client("s3").get_object(Bucket=self.name, Key=key)
        except aws.client("s3").exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def keys(self, prefix: str) -> Iterator[str]:
        for page in aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
            for found in page.get("Contents", []):
                yield found["Key"]

    def delete(self, keys: Iterable[str]) -> None:
        wanted = list(keys)
        for start in range(0, len(wanted), DELETE_BATCH):
            objects = [{"Key": key} for key in wanted[start : start + DELETE_BATCH]]
            aws.client("s3").delete_objects(Bucket=self.name, Delete={"Objects": objects, "Quiet": True})
