"""The table models' connections, made from the function's one botocore session (rapport.aws).

PynamoDB gives each model's connection a botocore session of its own, which costs a cold start about 50 ms of CPU
per table a request touches. `SessionModel` seats `rapport.aws.session()` in the connection before its client is
made; the connection keeps PynamoDB's own settings (timeouts, retries, its client config).
"""

from __future__ import annotations

from pynamodb.connection.table import TableConnection
from pynamodb.models import Model

from rapport import aws


class SessionModel(Model):
    """A model whose connection's client comes from the function's session."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        connection = super()._get_connection()
        # PynamoDB keeps its session per thread in `_local` and makes it there only when none is seated.
        seated = connection.connection._local
        if getattr(seated, "session", None) is None:
            seated.session = aws.session()
        return connection
