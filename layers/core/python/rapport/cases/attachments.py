"""Downloading what came with an email: the mailbox (rapport.cases.mailbox) keeps each attachment under the cap in
the inbound mail bucket at `attachments/<tenant>/<email digest>/<n>/<safe name>`, and a read of its message lists
it with `url`, a presigned S3 GET (rapport.downloads) that downloads it under its own name and content type.

The functions that presign may read every tenant's attachments (infra/constructs/inbound_mail.py): a key is
presigned only under its caller's tenant's folder, so a key out of place never becomes a link to another tenant's
file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from rapport import config, downloads
from rapport.cases.models import MessageAttachment

PREFIX = "attachments/"

log = logging.getLogger(__name__)


class Presigner(Protocol):
    """Where attachments are downloaded from: a URL that GETs the kept file `key` as `filename` of `content_type`."""

    def download_url(self, key: str, filename: str, content_type: str) -> str: ...


class InboundMailBucket:
    """Presigned GetObject URLs of the inbound mail bucket, signed with the function's own credentials."""

    def download_url(self, key: str, filename: str, content_type: str) -> str:
        return downloads.download_url(config.current().require("inbound_mail_bucket"), key, filename, content_type)


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
