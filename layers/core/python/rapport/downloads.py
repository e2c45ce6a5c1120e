"""Links that download a kept S3 object under its own name (presigned GetObject URLs), or upload one (PutObject),
valid URL_LIFETIME.

A URL is made at each read and never stored: it is good for minutes, and what it grants is the function's own
access. Presigning signs on the spot, with no request; the S3 client it needs (rapport.aws) is made at the first
link made, so a cold start and a read without one pay nothing. A URL signed with temporary credentials (a Lambda
function's) stops working when they expire, if that comes first.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from urllib.parse import quote

from rapport import aws

URL_LIFETIME = timedelta(minutes=15)


def download_url(bucket: str, key: str, filename: str, content_type: str) -> str:
    """A URL that GETs `key` of `bucket` as a download named `filename` of `content_type`."""
    url = aws.s3_presigning().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
            "ResponseContentType": content_type,
        },
        ExpiresIn=int(URL_LIFETIME.total_seconds()),
    )
    return str(url)


def upload_url(bucket: str, key: str, content_type: str) -> str:
    """A URL that PUTs `key` of `bucket` once, as `content_type` (the PUT must send that Content-Type)."""
    url = aws.s3_presigning().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
        ExpiresIn=int(URL_LIFETIME.total_seconds()),
    )
    return str(url)


def content_disposition(filename: str) -> str:
    """A download saved as `filename` (RFC 6266): exactly, in `filename*` (UTF-8, percent-encoded: RFC 8187), and
    in `filename` for clients that read only that one, as quoted ASCII (accents dropped, what else is not printable
    ASCII, and the quote and backslash, as `_`)."""
    decomposed = (char for char in unicodedata.normalize("NFKD", filename) if not unicodedata.combining(char))
    fallback = "".join(char if " " <= char <= "~" and char not in '"\\' else "_" for char in decomposed)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
