"""Downloading what came with an email: the mailbox (rapport.cases.mailbox) keeps each attachment under the cap in
the inbound mail bucket at `attachments/<tenant>/<email digest>/<n>/<safe name>`, and a read of its message lists
it with `url`, a presigned S3 GET valid URL_LIFETIME that downloads it under its own name and content type.

A URL is made at each read and never stored: it is good for minutes, and what it grants is the function's own
access. Presigning signs on the spot, with no request; the S3 client it needs is made at the first kept
attachment a read lists (rapport.aws), so a cold start and a page without one pay nothing. A URL signed with
temporary credentials (a Lambda function's) stops working when they expire, if that comes first.

The functions that presign may read every tenant's attachments (infra/constructs/inbound_mail.py): a key is
presigned only under its caller's tenant's folder, so a key out of place never becomes a link to another tenant's
file.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol
from urllib.parse import quote

from rapport import aws, config
from rapport.cases.models import MessageAttachment

PREFIX = "attachments/"
URL_LIFETIME = timedelta(minutes=15)

log = logging.getLogger(__name__)


class Presigner(Protocol):
    """Where attachments are downloaded from: a URL that GETs the kept file `key` as `filename` of `content_type`."""

    def download_url(self, key: str, filename: str, content_type: str) -> str: ...


class InboundMailBucket:
    """Presigned GetObject URLs of the inbound mail bucket, signed with the function's own credentials."""

    def download_url(self, key: str, filename: str, content_type: str) -> str:
        url = aws.s3_presigning().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": config.current().require("inbound_mail_bucket"),
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=int(URL_LIFETIME.total_seconds()),
        )
        return str(url)


INBOUND_MAIL_BUCKET = InboundMailBucket()


def folder(tenant_id: str) -> str:
    """Where the tenant's attachments are kept."""
    return f"{PREFIX}{tenant_id}/"


def with_urls(
    tenant_id: str, attachments: Sequence[MessageAttachment], presigner: Presigner
) -> list[MessageAttachment]:
    """The attachments, each kept one in the tenant's folder with its download URL."""
    return [attachment.model_copy(update={"url": _url(tenant_id, attachment, presigner)}) for attachment in attachments]


def _url(tenant_id: str, attachment: MessageAttachment, presigner: Presigner) -> str | None:
    if attachment.key is None:
        return None
    if not attachment.key.startswith(folder(tenant_id)):
        log.warning("attachment key outside tenant %s's folder not presigned: %s", tenant_id, attachment.key)
        return None
    return presigner.download_url(attachment.key, attachment.filename, attachment.content_type)


def content_disposition(filename: str) -> str:
    """A download saved as `filename` (RFC 6266): exactly, in `filename*` (UTF-8, percent-encoded: RFC 8187), and
    in `filename` for clients that read only that one, as quoted ASCII (accents dropped, what else is not printable
    ASCII, and the quote and backslash, as `_`)."""
    decomposed = (char for char in unicodedata.normalize("NFKD", filename) if not unicodedata.combining(char))
    fallback = "".join(char if " " <= char <= "~" and char not in '"\\' else "_" for char in decomposed)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
