"""The segments' scenario for `make bench` (tools.bench_scenarios): a static list of one contact, read and listed."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create

MARKETER = Staff().as_("marketing")


def operations(account_id: str) -> list[Operation]:
    contact = create("createContact", last_name="Segments", account_id=account_id)["id"]
    segment = create("createSegment", MARKETER, name="Bench list", kind="static")["id"]
    call("changeSegmentMembers", MARKETER, record_id=segment, body={"add": [contact]})
    return [
        ("GET /segments/{id} (with its count)", lambda: call("getSegment", record_id=segment)),
        ("GET /segments", lambda: call("listSegments")),
        ("GET /segments/{id}/members", lambda: call("listSegmentMembers", record_id=segment)),
    ]
