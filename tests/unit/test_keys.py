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
