"""The HTTP client that delivers (the `Sender` port's adapter): urllib3, which the Lambda runtime ships with boto3.

It connects to the address rapport.webhooks.addresses checked, not to a fresh resolution of the name (which could
point elsewhere by then), and presents the host name for TLS (SNI and certificate checks) and in `Host`.
Redirects are not followed (one could lead to an address the check refuses); timeouts are short, so a slow
endpoint is a failed attempt, retried later, rather than a function that waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from rapport.webhooks.addresses import Target
from rapport.webhooks.delivery import SendFailed

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 7.0


class Urllib3Sender:
    def post(self, target: Target, headers: Mapping[str, str], body: bytes) -> int:
        import urllib3

        parts = urlsplit(target.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
        pool: urllib3.HTTPConnectionPool
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                target.address,
                target.port,
                timeout=timeout,
                retries=False,
                server_hostname=target.host,
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
        try:
            with pool:
                response = pool.urlopen(
                    "POST",
                    path,
                    body=body,
                    headers={**headers, "Host": host_header, "User-Agent": "Rapport-Webhooks/1"},
                    redirect=False,
                    preload_content=False,
                )
                response.release_conn()
                return int(response.status)
        except urllib3.exceptions.HTTPError as error:
            raise SendFailed(type(error).__name__) from error
