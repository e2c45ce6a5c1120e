from datetime import UTC, datetime, timedelta

import pytest
from ulid import ULID

from rapport.accounts import store as account_store
from rapport.accounts.manifest import ACCOUNT
from rapport.appointments import store as appointment_store
from rapport.consent import store as consent_store
from rapport.contacts import store as contact_store
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys
from rapport.deals import store as deal_store
from rapport.kb import store as kb_store
from rapport.leads import store as lead_store
from rapport.leads.manifest import LEAD
from rapport.segments import store as segment_store
from rapport.tasks import store as task_store
from rapport.web_forms import store as web_form_store


def contact_keys(email: str | None = "a@b.co", phone: str | None = "+441234567", account: str | None = "1", **fields):
    values = {"name_key": "ada", "words": ["ada"], "tags": ["vip"], "owner_id": "ann", **fields}
    emails, phones = [email] if email else [], [phone] if phone else []
    return contact_store.ContactKeys(emails=emails, phones=phones, account_id=account, **values)


def partitions_of(index_keys: keys.IndexKeys) -> list[str]:
    """Every index partition the record and its search entries are in."""
    own = [value for name, value in index_keys.attributes().items() if name.endswith("pk") and value]
    return own + [entry.pk for entry in index_keys.entries]


def test_every_partition_key_starts_with_the_tenant():
    tenant = "tenant-a"
    partitions = [
        keys.record_pk(tenant, ACCOUNT, "1"),
        keys.guard_pk(tenant, contact_store.EMAIL, "a@b.co"),
        appointment_store.slot_pk(tenant, "user-1", "2026-11-23T09:15Z"),
        keys.list_pk(tenant, CONTACT, deleted=True),
        keys.idempotency_pk(tenant, "u", "k"),
        appointment_store.calendar_pk(tenant, "user-1"),
    ]
    index_keys = [
        account_store.index_keys(tenant, "1", "acme", ["acme"], "acme.com", deleted=False),
        contact_store.index_keys(tenant, "2", contact_keys(), deleted=False),
        task_store.index_keys(tenant, "3", "user-1", "open", "2026-11-23T09:00:00Z", deleted=False),
    ]
    partitions += [partition for entry in index_keys for partition in partitions_of(entry)]
    assert len(partitions) == 6 + 4 + 7 + 2
    assert all(value.startswith(f"T#{tenant}#") for value in partitions)


def test_a_deleted_contact_leaves_the_lookup_indexes_but_stays_in_the_trash():
    live = contact_store.index_keys("t", "2", contact_keys(), deleted=False)
    trashed = contact_store.index_keys("t", "2", contact_keys(), deleted=True)
    assert live.gsi2pk and live.gsi4pk and len(live.entries) == 4
    assert (trashed.gsi2pk, trashed.gsi3pk, trashed.gsi4pk, trashed.entries) == (None, None, None, ())
    assert trashed.gsi1pk == "T#t#CON#DELETED"


def test_the_account_sorts_before_its_contacts_in_their_partition():
    account = account_store.index_keys("t", "1", "acme", ["acme"], None, deleted=False)
    contact = contact_store.index_keys("t", "2", contact_keys(None, None, name_key="!bang"), deleted=False)
    assert account.gsi4pk == contact.gsi4pk
    assert account.gsi4sk is not None and contact.gsi4sk is not None
    assert account.gsi4sk < contact.gsi4sk


def test_entries_sort_newest_first():
    from ulid import ULID

    older, newer = ULID.from_timestamp(1_700_000_000), ULID.from_timestamp(1_800_000_000)
    newer_key, older_key = (keys.entry_sk(ulid.datetime.isoformat(), str(ulid)) for ulid in (newer, older))
    assert newer_key < older_key
    assert newer_key.startswith(keys.INTERACTION_PREFIX)


def test_entries_made_in_one_second_keep_their_order_to_the_millisecond():
    from datetime import UTC, datetime

    from ulid import ULID

    second = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    made = [str(ULID.from_datetime(second.replace(microsecond=ms * 1000))) for ms in (5, 250, 999)]
    sorted_keys = sorted(keys.entry_sk("2026-11-20T14:30:00Z", entry_id) for entry_id in made)
    assert sorted_keys == [keys.entry_sk("2026-11-20T14:30:00Z", entry_id) for entry_id in reversed(made)]


def test_the_contact_partition_sorts_meta_deals_appointments_tasks_interactions_then_what_its_reads_leave():
    """What the 360 view and the timeline read (up to INTERACTIONS_END), then what neither reads: the articles linked
    to the contact's cases, their segments, their consent ledger, their search entries."""
    order = [
        contact_store.ACCOUNT_SUMMARY_SK,
        keys.META_SK,
        deal_store.deal_summary_sk("01J"),
        deal_store.LIFETIME_VALUE_SK,
        appointment_store.summary_sk("2026-11-23T09:00:00Z", "01J"),
        task_store.summary_sk("2026-11-22T09:00:00Z", "01J"),
        task_store.summary_sk(None, "01J"),
        keys.entry_sk("2999-12-31T23:59:59Z", "01JD5Y7M7ZV1W4T5C9H2K3N4P5"),
        keys.entry_sk("1970-01-01T00:00:00Z", "01JD5Y7M7ZV1W4T5C9H2K3N4P5"),
        keys.INTERACTIONS_END,
        kb_store.customer_link_key("t", "C1", "01J").sk,
        f"{segment_store.MEMBERSHIP_PREFIX}01J",
        f"{consent_store.LEDGER_PREFIX}01J",
        keys.search_entry_sk(keys.WORD, "ada"),
    ]
    assert sorted(order) == order


def deal_keys(deleted: bool = False, **fields: str) -> keys.IndexKeys:
    values = {"close_date": "2026-12-15", "status": "open", "owner_id": "ann", "pipeline_id": "P1", "stage_key": "demo"}
    return deal_store.deal_index_keys("t", "D1", **{"account_id": "A1", **values, **fields}, deleted=deleted)


def test_every_sales_partition_key_starts_with_the_tenant():
    partitions = [
        *partitions_of(deal_keys()),
        deal_store.stats_pk("t", "2026-11"),
        deal_store.stats_list_pk("t"),
        keys.settings_pk("t"),
    ]
    assert len(partitions) == 8
    assert all(value.startswith("T#t#") for value in partitions)


def test_a_trashed_deal_is_only_in_the_trash():
    trashed = deal_keys(deleted=True)
    assert trashed == keys.IndexKeys(gsi1pk="T#t#DEAL#DELETED", gsi1sk=deal_keys().gsi1sk)


def test_deal_filters_are_sort_key_prefixes_that_match_whole_values():
    live = deal_keys()
    assert live.gsi2sk and live.gsi2sk.startswith(keys.key_prefix("open", "P1"))
    assert live.gsi3sk and live.gsi3sk.startswith(keys.key_prefix("demo"))
    assert not str(deal_keys(stage_key="demo day").gsi3sk).startswith(keys.key_prefix("demo"))
    assert live.gsi4sk and live.gsi4sk.startswith(keys.key_prefix("P1"))


def test_a_close_date_range_holds_its_first_and_last_day_and_nothing_after():
    low, high = "2026-10-01", keys.through("2026-12-31")
    inside = [str(deal_keys(close_date=day).gsi1sk) for day in ("2026-10-01", "2026-12-31")]
    outside = [str(deal_keys(close_date=day).gsi1sk) for day in ("2026-09-30", "2027-01-01")]
    assert all(low <= key <= high for key in inside)
    assert not any(low <= key <= high for key in outside)
    assert (
        deal_store.stats_list_sk("2026-12", "zoe~")
        <= keys.through("2026-12")
        < deal_store.stats_list_sk("2027-01", "a")
    )


def test_history_sorts_oldest_first_after_the_record():
    assert (
        keys.META_SK
        < deal_store.history_sk("2026-11-01T09:00:00.000Z")
        < deal_store.history_sk("2026-11-02T09:00:00.000Z")
    )


def test_every_inverted_digit_reverses_the_order_of_ulids():
    from ulid import ULID

    ids = sorted(str(ULID()) for _ in range(50))
    ids += [str(ULID.from_timestamp(stamp)) for stamp in (0, 1, 2**40, 253_402_300_799)]  # to the year 9999
    inverted = [keys.entry_sk(ULID.from_str(ulid).datetime.isoformat(), ulid) for ulid in sorted(ids)]
    assert inverted == sorted(inverted, reverse=True)
    at = "2024-11-20T14:30:00.123Z"
    assert keys.entry_sk(at, "01jd5y7m7zv1w4t5c9h2k3n4p5") == keys.entry_sk(at, "01JD5Y7M7ZV1W4T5C9H2K3N4P5")
    assert all(key < keys.INTERACTIONS_END for key in inverted)


def test_tasks_of_an_assignee_sort_by_due_time_undated_last_and_leave_the_index_when_trashed():
    due = [
        task_store.index_keys("t", "B", "user-1", "open", "2026-11-23T09:00:00Z", deleted=False),
        task_store.index_keys("t", "A", "user-1", "open", "2026-11-24T09:00:00Z", deleted=False),
        task_store.index_keys("t", "C", "user-1", "open", None, deleted=False),
    ]
    assert {entry.gsi2pk for entry in due} == {"T#t#TASK#ASSIGNEE#user-1#open"}
    assert [entry.gsi2sk for entry in due] == sorted(entry.gsi2sk for entry in due if entry.gsi2sk)
    assert task_store.index_keys("t", "A", "user-1", "open", None, deleted=True) == keys.IndexKeys()


def test_lead_and_web_form_index_keys_start_with_the_tenant():
    tenant = "tenant-a"
    entries = [
        lead_store.index_keys(tenant, "1", 40, "new", "owner-1", email="a@b.co", words=["ada"], deleted=False),
        lead_store.index_keys(tenant, "1", 40, "new", None, email="a@b.co", words=["ada"], deleted=True),
        web_form_store.index_keys(tenant, "2", "contact us"),
    ]
    partitions = [partition for entry in entries for partition in partitions_of(entry)]
    partitions += [keys.guard_pk(tenant, lead_store.LEAD_EMAIL, "a@b.co"), keys.record_pk(tenant, LEAD, "1")]
    assert len(partitions) == 10
    assert all(value.startswith(f"T#{tenant}#") for value in partitions)


def test_leads_sort_by_score_highest_first_then_by_id():
    order = [
        lead_store.score_sk(100, "01B"),
        lead_store.score_sk(99, "01A"),
        lead_store.score_sk(99, "01B"),
        lead_store.score_sk(0, "01A"),
    ]
    assert sorted(order) == order


@pytest.mark.parametrize("min_score", [0, 1, 50, 99, 100])
def test_the_score_bound_keeps_exactly_the_scores_at_or_above_the_minimum(min_score):
    bound = lead_store.score_bound(min_score)
    kept = [score for score in range(101) if lead_store.score_sk(score, "01JD5Y7M7ZV1W4T5C9H2K3N4P5") < bound]
    assert kept == list(range(min_score, 101))


def test_a_score_outside_0_to_100_has_no_sort_key():
    with pytest.raises(ValueError, match="0 to 100"):
        lead_store.score_sk(101, "1")


def test_each_lead_filter_has_its_own_partition_and_a_trashed_lead_is_only_in_the_trash():
    live = lead_store.index_keys("t", "1", 40, "working", "ann", email=None, words=[], deleted=False)
    assert (live.gsi1pk, live.gsi2pk, live.gsi3pk, live.gsi4pk) == (
        "T#t#LEAD",
        "T#t#LEAD#STATUS#working",
        "T#t#LEAD#OWNER#ann",
        "T#t#LEAD#OWNER#ann#STATUS#working",
    )
    assert live.gsi1sk == live.gsi2sk == live.gsi3sk == live.gsi4sk == "060#1"
    unowned = lead_store.index_keys("t", "1", 40, "working", None, email=None, words=[], deleted=False)
    assert (unowned.gsi3pk, unowned.gsi4pk) == (None, None)
    trashed = lead_store.index_keys("t", "1", 40, "working", "ann", email="a@b.co", words=["a"], deleted=True)
    assert (trashed.gsi1pk, trashed.gsi2pk, trashed.gsi3pk, trashed.gsi4pk) == ("T#t#LEAD#DELETED", None, None, None)


def test_the_ids_made_in_a_period_are_one_range_from_its_first_millisecond_through_its_last():
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    first, last = keys.ids_made_between(start, end)
    made = [ULID.from_datetime(moment) for moment in (start, end - timedelta(milliseconds=1))]
    assert all(first <= str(ulid) <= last for ulid in made)
    outside = [ULID.from_datetime(moment) for moment in (start - timedelta(milliseconds=1), end)]
    assert not any(first <= str(ulid) <= last for ulid in outside)
