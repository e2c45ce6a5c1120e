from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import count, pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rapport.appointments import store as appointment_store
from rapport.appointments.manifest import APPOINTMENT
from rapport.appointments.models import Appointment, AppointmentCreate, overlaps
from rapport.appointments.service import appointments
from rapport.auth import caller_from_claims
from rapport.contacts.manifest import CONTACT
from rapport.dal.keys import IndexKeys
from rapport.dal.repository import Guard, Record, UnitOfWork
from rapport.errors import Busy, Conflict
from rapport.types import utc_now
from tests.integration.race import outcome, race
from tests.integration.stored import summaries_in
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
REP_2 = Staff(user="user-2")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
CALLER = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def at(time: str, day: int = 23) -> str:
    return f"2026-11-{day}T{time}:00Z"


def book(staff: Staff | None = SALES, /, **fields: Any) -> Any:
    return call(
        "createAppointment",
        staff,
        body={"title": "Demo", "starts_at": at("09:00"), "ends_at": at("10:00"), **fields},
        headers=NO_KEY,
    )


def booked(staff: Staff = SALES, /, **fields: Any) -> dict[str, Any]:
    reply = book(staff, **fields)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def calendar(staff: Staff = SALES, /, **query: str) -> list[dict[str, Any]]:
    with dynamodb_requests() as requests:
        reply = call("listAppointments", staff, query=query)
    assert reply.status == 200, reply.body
    assert requests == ["Query"]
    return list(reply.body["items"])


def contact_appointments(contact_id: str) -> dict[str, Any]:
    return summaries_in(CONTACT, contact_id, appointment_store.SUMMARY_PREFIX)


@pytest.fixture
def contact() -> str:
    return str(create("createContact", last_name="Lovelace")["id"])


def test_a_booking_reads_its_slots_then_is_one_transaction_for_the_caller_by_default(contact):
    with dynamodb_requests() as requests:
        reply = book(contact_id=contact, channel="video", location="https://meet.example/x")
    assert reply.status == 201, reply.body
    assert requests == ["BatchGetItem", "TransactWriteItems"]
    appointment = reply.body
    assert appointment["attendee_ids"] == [SALES.user] and appointment["status"] == "scheduled"
    assert reply.headers["location"] == f"/appointments/{appointment['id']}" and reply.etag == '"1"'
    assert call("getAppointment", record_id=appointment["id"]).body == appointment
    assert calendar() == [appointment]
    [(sk, summary)] = contact_appointments(contact).items()
    assert sk == appointment_store.summary_sk(at("09:00"), appointment["id"])
    assert (summary["title"], summary["ends_at"]) == ("Demo", at("10:00"))


def test_booking_a_busy_rep_is_409_naming_the_clash():
    first = booked(attendee_ids=[SALES.user, REP_2.user])
    reply = book(starts_at=at("09:50"), ends_at=at("10:30"), attendee_ids=["user-3", REP_2.user])
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "appointment", "id": first["id"]}
    [error] = reply.body["errors"]
    assert (error["field"], error["code"]) == ("attendee_ids[1]", "clash")
    assert (
        f"user-2 is already booked from {at('09:00')} to {at('10:00')} by appointment {first['id']}"
        in reply.body["detail"]
    )
    assert calendar(attendee_id="user-3") == [], "nothing of the refused booking is written"


def test_back_to_back_other_reps_and_other_tenants_do_not_clash():
    booked()
    booked(starts_at=at("10:00"), ends_at=at("11:00"))
    booked(starts_at=at("08:00"), ends_at=at("09:00"))
    booked(REP_2)
    booked(Staff(tenant="tenant-b"))
    assert [a["starts_at"] for a in calendar()] == [at("08:00"), at("09:00"), at("10:00")]


def test_concurrent_bookings_of_one_rep_one_wins_the_rest_name_it():
    bookings = [
        partial(
            appointments.create,
            CALLER,
            AppointmentCreate.model_validate(
                {"title": f"Racer {n}", "starts_at": at(f"09:{n * 5:02}"), "ends_at": at("10:30")}
            ),
        )
        for n in range(6)
    ]
    results = race(bookings)
    assert Counter(map(outcome, results)) == {"Appointment": 1, "Conflict": 5}
    [winner] = [result for result in results if isinstance(result, Appointment)]
    assert {result.existing_id for result in results if isinstance(result, Conflict)} == {winner.id}
    assert [entry["id"] for entry in calendar()] == [winner.id]


def test_two_reschedules_into_one_free_time_one_wins():
    first, second = booked(), booked(starts_at=at("11:00"), ends_at=at("12:00"))
    moves = [
        partial(appointments.update, CALLER, record["id"], times, 1)
        for record, times in (
            (first, {"starts_at": at("14:00"), "ends_at": at("15:00")}),
            (second, {"starts_at": at("14:30"), "ends_at": at("15:30")}),
        )
    ]
    results = race(moves)
    assert Counter(map(outcome, results)) == {"Appointment": 1, "Conflict": 1}
    assert sorted(a["starts_at"] for a in calendar()) in (
        [at("11:00"), at("14:00")],
        [at("09:00"), at("14:30")],
    )


def test_rescheduling_frees_the_old_time_and_takes_the_new(contact):
    appointment = booked(contact_id=contact)
    with dynamodb_requests() as requests:
        moved = call(
            "updateAppointment",
            record_id=appointment["id"],
            body={"starts_at": at("14:00"), "ends_at": at("15:00")},
            headers={"If-Match": '"1"'},
        )
    assert moved.status == 200, moved.body
    assert requests == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert booked(title="Now free")["starts_at"] == at("09:00")
    assert book(starts_at=at("14:45"), ends_at=at("15:15")).status == 409
    assert list(contact_appointments(contact)) == [appointment_store.summary_sk(at("14:00"), appointment["id"])]
    assert [(a["title"], a["version"]) for a in calendar()] == [("Now free", 1), ("Demo", 2)]


def test_rescheduling_into_a_busy_time_is_409_and_changes_nothing():
    blocker = booked(starts_at=at("14:00"), ends_at=at("15:00"))
    appointment = booked()
    reply = call(
        "updateAppointment",
        record_id=appointment["id"],
        body={"starts_at": at("13:30"), "ends_at": at("14:30")},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 409 and reply.body["existing"]["id"] == blocker["id"]
    assert call("getAppointment", record_id=appointment["id"]).body["starts_at"] == at("09:00")
    assert book(starts_at=at("13:30"), ends_at=at("14:00")).status == 201


def test_changing_attendees_moves_their_slots_and_calendars():
    appointment = booked(attendee_ids=[SALES.user, REP_2.user])
    reply = call("updateAppointment", record_id=appointment["id"], body={"attendee_ids": [REP_2.user, "user-3"]})
    assert reply.status == 200, reply.body
    assert booked(title="Free again")["title"] == "Free again"
    assert book(attendee_ids=["user-3"]).status == 409
    assert [a["id"] for a in calendar(REP_2)] == [appointment["id"]]
    assert [a["title"] for a in calendar()] == ["Free again"]


def test_cancelling_frees_the_time_and_leaves_the_contacts_summary(contact):
    appointment = booked(contact_id=contact)
    cancelled = call("updateAppointment", record_id=appointment["id"], body={"status": "cancelled"})
    assert cancelled.status == 200
    assert contact_appointments(contact) == {}
    assert booked(title="Rebooked")["title"] == "Rebooked"
    assert [(a["title"], a["status"]) for a in calendar()] == [("Demo", "cancelled"), ("Rebooked", "scheduled")]
    reopened = call(
        "updateAppointment", record_id=appointment["id"], body={"status": "scheduled"}, headers={"If-Match": '"2"'}
    )
    assert reopened.status == 409, "the time is taken now"


def test_a_done_appointment_keeps_its_time_but_leaves_the_contacts_summary(contact):
    appointment = booked(contact_id=contact)
    assert call("updateAppointment", record_id=appointment["id"], body={"status": "done"}).status == 200
    assert contact_appointments(contact) == {}
    assert book().status == 409


def test_trash_keeps_the_slots_for_a_restore_and_erase_frees_them(contact):
    appointment = booked(contact_id=contact)
    assert call("deleteAppointment", record_id=appointment["id"], headers={"If-Match": '"1"'}).status == 204
    assert calendar() == [] and contact_appointments(contact) == {}
    assert book().status == 409
    manager = SALES.as_("manager")
    assert call("restoreAppointment", manager, record_id=appointment["id"], headers={"If-Match": None}).status == 200
    assert [a["id"] for a in calendar()] == [appointment["id"]] and len(contact_appointments(contact)) == 1
    erase = {"permanent": "true"}
    admin = SALES.as_("admin")
    reply = call("deleteAppointment", admin, record_id=appointment["id"], query=erase, headers={"If-Match": None})
    assert reply.status == 204
    assert calendar() == [] and contact_appointments(contact) == {}
    assert book().status == 201


def test_the_calendar_by_time_window_and_pages():
    for day in range(23, 28):
        booked(starts_at=at("09:00", day), ends_at=at("10:00", day), title=f"day {day}")
    booked(REP_2, title="theirs")
    assert [a["title"] for a in calendar(**{"from": at("09:00", 24), "to": at("09:00", 26)})] == ["day 24", "day 25"]
    assert [a["title"] for a in calendar(attendee_id=REP_2.user)] == ["theirs"]
    seen, cursor = [], None
    while True:
        page = call("listAppointments", query={"limit": "2", **({"cursor": cursor} if cursor else {})}).body
        seen += [a["title"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"day {day}" for day in range(23, 28)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"contact_id": UNKNOWN}, "contact_id"),
        ({"status": "scheduled"}, "status"),
        ({"from": "monday"}, "from"),
        ({"from": at("10:00"), "to": at("09:00")}, "to"),
        ({"to": "2026-11-23T09:00"}, "to"),
    ],
)
def test_bad_or_unsupported_filters_are_400(query, field):
    reply = call("listAppointments", query=query)
    assert reply.status == 400
    assert reply.body["errors"][0]["field"] == field and reply.body["errors"][0]["in"] == "query"


@pytest.mark.parametrize(
    ("fields", "at_fault"),
    [
        ({"ends_at": at("08:59")}, "ends_at"),
        ({"ends_at": at("19:30")}, "ends_at"),
        ({"attendee_ids": ["a", "b", "c"], "ends_at": "2026-11-23T13:00:01Z"}, "attendee_ids"),
        ({"attendee_ids": ["a", "a"]}, "attendee_ids"),
        ({"contact_id": UNKNOWN}, "contact_id"),
        ({"channel": "pigeon"}, "channel"),
        ({"title": None}, "title"),
    ],
)
def test_invalid_bookings_are_422_naming_the_field(fields, at_fault):
    reply = book(**fields)
    assert reply.status == 422, reply.body
    assert [error["field"] for error in reply.body["errors"]] == [at_fault]


def test_another_tenants_contact_is_422(contact):
    theirs = create("createContact", OTHER_TENANT, last_name="Theirs")["id"]
    reply = book(contact_id=theirs)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "contact_id"


def test_a_reschedule_checked_against_the_stored_times():
    appointment = booked()
    reply = call("updateAppointment", record_id=appointment["id"], body={"starts_at": at("10:00")})
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "ends_at"


def test_patch_needs_if_match_and_refuses_a_stale_version():
    appointment = booked()
    assert call("updateAppointment", record_id=appointment["id"], headers={"If-Match": None}).status == 428
    stale = call("updateAppointment", record_id=appointment["id"], body={"title": "x"}, headers={"If-Match": '"7"'})
    assert stale.status == 412


def test_a_retried_booking_replays_instead_of_clashing_with_itself():
    body = {"title": "Once", "starts_at": at("09:00"), "ends_at": at("10:00")}
    first = call("createAppointment", body=body, headers={"Idempotency-Key": "appt-1"})
    again = call("createAppointment", body=body, headers={"Idempotency-Key": "appt-1"})
    assert first.status == again.status == 201 and again.body == first.body
    assert len(calendar()) == 1


def test_who_may_book_and_other_tenants_get_404():
    appointment = booked()
    assert call("listAppointments", None).status == 401
    assert book(None).status == 401
    assert book(SALES.as_("marketing"), starts_at=at("12:00"), ends_at=at("13:00")).status == 403
    assert [a["id"] for a in calendar(SALES.as_("marketing"))] == [appointment["id"]]
    for operation in ("getAppointment", "updateAppointment", "deleteAppointment", "restoreAppointment"):
        for staff, record_id in ((OTHER_TENANT, appointment["id"]), (SALES.as_("admin"), UNKNOWN)):
            assert call(operation, staff, record_id=record_id, headers={"If-Match": '"1"'}).status == 404, operation


def test_meetings_that_only_meet_do_not_clash():
    """Bob holds 16:40-16:50; 16:30-16:40 touches the same 15-minute slot but not the same time."""
    later = booked(starts_at=at("16:40"), ends_at=at("16:50"))
    earlier = booked(starts_at=at("16:30"), ends_at=at("16:40"))
    assert booked(starts_at=at("16:50"), ends_at=at("17:05"))["id"]
    reply = book(starts_at=at("16:35"), ends_at=at("16:45"))
    assert reply.status == 409 and reply.body["existing"]["id"] in (earlier["id"], later["id"])
    moved = call(
        "updateAppointment",
        record_id=earlier["id"],
        body={"starts_at": at("16:20"), "ends_at": at("16:40")},
        headers={"If-Match": '"1"'},
    )
    assert moved.status == 200, moved.body
    assert [a["starts_at"] for a in calendar()] == [at("16:20"), at("16:40"), at("16:50")]


def _booking(n: int, starts: str, ends: str, attendee: str = SALES.user) -> Any:
    payload = {"title": f"Racer {n}", "starts_at": starts, "ends_at": ends, "attendee_ids": [attendee]}
    return partial(appointments.create, CALLER, AppointmentCreate.model_validate(payload))


def test_concurrent_bookings_that_share_a_slot_but_not_a_moment_all_land():
    """Four 3-minute meetings in one 15-minute slot at once: each write that loses the slot reads it again."""
    results = race([_booking(n, at(f"09:{3 * n:02}"), at(f"09:{3 * n + 3:02}")) for n in range(4)])
    assert all(isinstance(result, Appointment) for result in results), results
    assert [a["starts_at"] for a in calendar()] == [at(f"09:{3 * n:02}") for n in range(4)]


def test_concurrent_bookings_clash_exactly_where_they_overlap():
    """Pairs at once: each pair overlaps within itself (one lands, one is told which), pairs only meet."""
    pairs = [("09:00", "09:10"), ("09:05", "09:12"), ("09:12", "09:20"), ("09:15", "09:30")]
    results = race([_booking(n, at(starts), at(ends)) for n, (starts, ends) in enumerate(pairs)])
    landed = [result for result in results if isinstance(result, Appointment)]
    clashes = [result for result in results if isinstance(result, Conflict) and not isinstance(result, Busy)]
    assert (len(landed), len(clashes)) == (2, 2), results
    assert {result.existing_id for result in clashes} == {appointment.id for appointment in landed}
    intervals = sorted((a["starts_at"], a["ends_at"]) for a in calendar())
    assert not any(overlaps(first, second) for first, second in pairwise(intervals))


START = datetime(2026, 11, 23, 9, tzinfo=UTC)
ATTENDEES = count()
# Start and length in 5-minute steps within an hour and a quarter: bookings often meet, share slots or overlap.
Minutes = st.tuples(st.integers(0, 12), st.integers(1, 4)).map(lambda steps: (5 * steps[0], 5 * steps[1]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(Minutes, min_size=2, max_size=6))
@example([(40, 10), (30, 10)])  # Bob holds 16:40-16:50 (here 09:40-09:50); then 16:30-16:40
def test_a_booking_is_refused_exactly_when_it_overlaps_one_booked(requests):
    """For any bookings of one attendee, in any order: each lands iff it overlaps none that landed before it."""
    attendee = f"prop-{next(ATTENDEES)}"
    landed: list[tuple[str, str]] = []
    for n, (offset, length) in enumerate(requests):
        starts, ends = START + timedelta(minutes=offset), START + timedelta(minutes=offset + length)
        interval = (starts.strftime("%Y-%m-%dT%H:%M:%SZ"), ends.strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            _booking(n, *interval, attendee=attendee)()
        except Conflict:
            assert any(overlaps(interval, other) for other in landed), (interval, landed)
        else:
            assert not any(overlaps(interval, other) for other in landed), (interval, landed)
            landed.append(interval)
    listed = calendar(attendee_id=attendee)
    assert sorted((a["starts_at"], a["ends_at"]) for a in listed) == sorted(landed)


def _legacy_booking(starts: str, ends: str) -> str:
    """An appointment as the 15-minute guard design stored it: the record and one busy guard per slot."""
    now = utc_now()
    data = {"title": "Old", "starts_at": starts, "ends_at": ends, "attendee_ids": [SALES.user], "status": "scheduled"}
    record = Record(APPOINTMENT, UNKNOWN[:-1] + "6", SALES.tenant, data, now, SALES.user, now, SALES.user)
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    for slot in ("2026-11-23T16:30Z", "2026-11-23T16:45Z"):
        work.take(record, Guard(appointment_store.BUSY, f"{SALES.user}#{slot}"))
    work.commit()
    return record.id


def test_appointments_booked_as_slot_guards_still_hold_their_time_and_free_it():
    old = _legacy_booking(at("16:40"), at("16:50"))
    assert booked(starts_at=at("16:30"), ends_at=at("16:40"))["title"] == "Demo"
    reply = book(starts_at=at("16:45"), ends_at=at("17:00"))
    assert reply.status == 409 and reply.body["existing"]["id"] == old
    cancelled = call("updateAppointment", record_id=old, body={"status": "cancelled"}, headers={"If-Match": '"1"'})
    assert cancelled.status == 200, cancelled.body
    assert booked(starts_at=at("16:45"), ends_at=at("17:00"))["title"] == "Demo"
    read = appointment_store.read_slots(
        SALES.tenant, [(SALES.user, "2026-11-23T16:30Z"), (SALES.user, "2026-11-23T16:45Z")]
    )
    assert [slot.legacy_owner for slot in read.values()] == [None, None], "the old guards are gone"
    assert all(old not in slot.intervals for slot in read.values())
