from dataclasses import asdict

from rapport.dal import keys
from rapport.dal.keys import Kind


def test_every_partition_key_starts_with_the_tenant():
    tenant = "tenant-a"
    partitions = [
        keys.record_pk(tenant, Kind.ACCOUNT, "1"),
        keys.guard_pk(tenant, keys.UniqueField.EMAIL, "a@b.co"),
        keys.list_pk(tenant, Kind.CONTACT, deleted=True),
        keys.idempotency_pk(tenant, "u", "k"),
    ]
    index_keys = [
        keys.account_index_keys(tenant, "1", "acme", "acme.com", deleted=False),
        keys.contact_index_keys(tenant, "2", "ada", "a@b.co", "+441234567", "1", deleted=False),
    ]
    partitions += [
        value for entry in index_keys for name, value in asdict(entry).items() if name.endswith("pk") and value
    ]
    assert partitions
    assert all(value.startswith(f"T#{tenant}#") for value in partitions)


def test_a_deleted_contact_leaves_the_lookup_indexes_but_stays_in_the_trash():
    live = keys.contact_index_keys("t", "2", "ada", "a@b.co", "+441234567", "1", deleted=False)
    trashed = keys.contact_index_keys("t", "2", "ada", "a@b.co", "+441234567", "1", deleted=True)
    assert live.gsi2pk and live.gsi3pk and live.gsi4pk
    assert (trashed.gsi2pk, trashed.gsi3pk, trashed.gsi4pk) == (None, None, None)
    assert trashed.gsi1pk == "T#t#CON#DELETED"


def test_the_account_sorts_before_its_contacts_in_their_partition():
    account = keys.account_index_keys("t", "1", "acme", None, deleted=False)
    contact = keys.contact_index_keys("t", "2", "!bang", None, None, "1", deleted=False)
    assert account.gsi4pk == contact.gsi4pk
    assert account.gsi4sk is not None and contact.gsi4sk is not None
    assert account.gsi4sk < contact.gsi4sk


def test_interactions_sort_newest_first():
    from ulid import ULID

    older, newer = str(ULID.from_timestamp(1_700_000_000)), str(ULID.from_timestamp(1_800_000_000))
    assert keys.interaction_sk(newer) < keys.interaction_sk(older)
    assert keys.interaction_sk(newer).startswith(keys.INTERACTION_PREFIX)


def test_the_contact_partition_sorts_meta_deals_appointments_tasks_then_interactions():
    order = [
        keys.META_SK,
        keys.deal_summary_sk("01J"),
        keys.LIFETIME_VALUE_SK,
        keys.appointment_summary_sk("2026-11-23T09:00:00Z", "01J"),
        keys.task_summary_sk("2026-11-22T09:00:00Z", "01J"),
        keys.task_summary_sk(None, "01J"),
        keys.interaction_sk("01J"),
    ]
    assert sorted(order) == order


def deal_keys(deleted: bool = False, **fields: str) -> keys.IndexKeys:
    values = {"close_date": "2026-12-15", "status": "open", "owner_id": "ann", "pipeline_id": "P1", "stage_key": "demo"}
    return keys.deal_index_keys("t", "D1", **{**values, **fields}, deleted=deleted)


def test_every_sales_partition_key_starts_with_the_tenant():
    partitions = [value for name, value in asdict(deal_keys()).items() if name.endswith("pk") and value] + [
        keys.stats_pk("t", "2026-11"),
        keys.stats_list_pk("t"),
        keys.settings_pk("t"),
    ]
    assert len(partitions) == 7
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
    assert keys.stats_list_sk("2026-12", "zoe~") <= keys.through("2026-12") < keys.stats_list_sk("2027-01", "a")


def test_history_sorts_oldest_first_after_the_record():
    assert keys.META_SK < keys.history_sk("2026-11-01T09:00:00.000Z") < keys.history_sk("2026-11-02T09:00:00.000Z")
