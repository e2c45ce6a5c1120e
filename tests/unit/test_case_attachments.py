"""Download URLs of kept attachments (rapport.cases.attachments): only a kept file in the caller's tenant's folder
gets one; it is presigned on the spot (sockets are off), SigV4 at the bucket's regional address, for 15 minutes,
and saves the file under its own name, whatever characters that name holds."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from pydantic import BaseModel

from rapport.cases.attachments import INBOUND_MAIL_BUCKET, folder, with_urls
from rapport.cases.models import MessageAttachment
from rapport.downloads import URL_LIFETIME, content_disposition
from rapport.portal.models import PortalAttachment

TENANT = "tenant-a"
BUCKET = "rapport-test-inbound-mail"  # pyproject.toml's INBOUND_MAIL_BUCKET


class RecordingPresigner:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    def download_url(self, key: str, filename: str, content_type: str) -> str:
        self.asked.append((key, filename, content_type))
        return f"https://download.test/{key}"


def _attachment(key: str | None, filename: str = "photo.png") -> MessageAttachment:
    return MessageAttachment(filename=filename, content_type="image/png", size=10, key=key)


def test_a_kept_attachment_in_the_tenant_s_folder_gets_a_url_and_one_over_the_cap_none() -> None:
    presigner = RecordingPresigner()
    kept, over_the_cap = _attachment(f"{folder(TENANT)}digest/0/photo.png"), _attachment(None, "video.bin")
    listed = with_urls(TENANT, [kept, over_the_cap], presigner)
    assert [attachment.url for attachment in listed] == [f"https://download.test/{kept.key}", None]
    assert presigner.asked == [(kept.key, "photo.png", "image/png")]
    assert kept.url is None, "the stored attachment is left as it was"


@pytest.mark.parametrize(
    "key",
    [
        "attachments/tenant-b/digest/0/photo.png",
        "attachments/tenant-a-other/digest/0/photo.png",  # the tenant's id as a prefix of another's
        "mail/ses-message-id",
        "tenant-a/digest/0/photo.png",
    ],
)
def test_a_key_outside_the_tenant_s_folder_is_never_presigned(key: str) -> None:
    presigner = RecordingPresigner()
    [listed] = with_urls(TENANT, [_attachment(key)], presigner)
    assert listed.url is None and presigner.asked == []


def test_no_attachment_no_presigning() -> None:
    presigner = RecordingPresigner()
    assert with_urls(TENANT, [], presigner) == [] and presigner.asked == []


@pytest.mark.parametrize(
    ("filename", "ascii_name"),
    [
        ("crack 1.png", "crack 1.png"),
        ('Rita\'s "cracked" shade.png', "Rita's _cracked_ shade.png"),
        ("back\\slash.txt", "back_slash.txt"),
        ("café crème.pdf", "cafe creme.pdf"),
        ("фото.jpg", "____.jpg"),
        ("line\r\nbreak.txt", "line__break.txt"),
    ],
)
def test_the_download_keeps_the_file_s_name_exactly_and_in_quoted_ascii(filename: str, ascii_name: str) -> None:
    disposition = content_disposition(filename)
    assert disposition.isascii() and disposition.isprintable()
    plain, exact = disposition.removeprefix("attachment; ").split("; ")
    assert plain == f'filename="{ascii_name}"'
    assert exact.startswith("filename*=UTF-8''") and unquote(exact.removeprefix("filename*=UTF-8''")) == filename


def test_the_bucket_presigns_without_a_request_sigv4_regional_for_fifteen_minutes() -> None:
    key = f"{folder(TENANT)}digest/0/Rita's photo.png"
    url = INBOUND_MAIL_BUCKET.download_url(key, 'Rita\'s "photo".png', "image/png")
    parts = urlsplit(url)
    query = {name: value for name, [value] in parse_qs(parts.query).items()}
    assert (parts.scheme, parts.hostname) == ("https", f"{BUCKET}.s3.eu-west-1.amazonaws.com")
    assert unquote(parts.path) == f"/{key}"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and "/eu-west-1/s3/" in query["X-Amz-Credential"]
    assert int(query["X-Amz-Expires"]) == URL_LIFETIME.total_seconds() == timedelta(minutes=15).total_seconds()
    assert query["response-content-disposition"] == content_disposition('Rita\'s "photo".png')
    assert query["response-content-type"] == "image/png"


@pytest.mark.parametrize("model", [MessageAttachment, PortalAttachment])
def test_the_url_s_documented_lifetime_is_the_one_it_is_made_with(model: type[BaseModel]) -> None:
    minutes = int(URL_LIFETIME.total_seconds() // 60)
    assert f"valid {minutes} minutes" in str(model.model_fields["url"].description)
