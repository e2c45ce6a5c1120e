"""The appointments' scenario for `make bench` (tools.bench_scenarios): a contact's appointments, booked and
rescheduled."""

from __future__ import annotations

from typing import Any

from tools.bench_scenarios import Operation
from tools.lambda_api import call, create


def operations(account_id: str) -> list[Operation]:
    contact = create("createContact", last_name="Appointments", account_id=account_id)["id"]
    meeting: dict[str, Any] = {"title": "Demo", "starts_at": "2026-11-25T10:00:00Z", "ends_at": "2026-11-25T11:00:00Z"}
    appointment = create("createAppointment", **meeting, contact_id=contact)
    moved = {"starts_at": "2026-11-25T14:00:00Z", "ends_at": "2026-11-25T15:00:00Z"}
    later = {**meeting, "starts_at": "2026-11-26T10:00:00Z", "ends_at": "2026-11-26T11:00:00Z"}
    return [
        ("POST /appointments (1 h, contact)", lambda: create("createAppointment", **later, contact_id=contact)),
        (
            "PATCH /appointments/{id} (reschedule)",
            lambda: call("updateAppointment", record_id=appointment["id"], body=moved, headers={"If-Match": '"1"'}),
        ),
        ("GET /appointments?attendee_id=me", lambda: call("listAppointments", query={"from": "2026-11-23T00:00:00Z"})),
    ]
