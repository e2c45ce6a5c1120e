import pytest

from rapport import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Ada@Example.COM ", "ada@example.com"), ("a.b+c@sub.example.org", "a.b+c@sub.example.org")],
)
def test_email_is_trimmed_and_lower_cased(raw, expected):
    assert normalize.email(raw) == expected


@pytest.mark.parametrize("raw", ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com"])
def test_email_refuses_what_is_not_an_address(raw):
    with pytest.raises(ValueError, match="email address"):
        normalize.email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 (20) 7946-0958", "+442079460958"),
        ("+1.415.555.0100", "+14155550100"),
    ],
)
def test_phone_becomes_e164(raw, expected):
    assert normalize.phone(raw) == expected


@pytest.mark.parametrize("raw", ["020 7946 0958", "+0 123 456", "+12", "+44 20 7946 0958 1234567", "phone"])
def test_phone_refuses_national_or_malformed_numbers(raw):
    with pytest.raises(ValueError, match="international"):
        normalize.phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("acme.co.uk.", "acme.co.uk"),
        ("shop.acme.com:8443", "shop.acme.com"),
        ("bücher.de", "xn--bcher-kva.de"),
    ],
)
def test_domain_is_bare_and_lower_cased(raw, expected):
    assert normalize.domain(raw) == expected


@pytest.mark.parametrize("raw", ["localhost", "-acme.com", "acme..com", "a" * 64 + ".com", ""])
def test_domain_refuses_what_is_not_a_domain(raw):
    with pytest.raises(ValueError, match="domain"):
        normalize.domain(raw)


def test_name_key_ignores_case_accents_and_spacing():
    assert normalize.name_key("  Zoë   O'Neil ") == "zoe o'neil"
    assert normalize.name_key("ÅSA") == normalize.name_key("asa")


def test_name_key_drops_control_characters():
    assert normalize.name_key("Ac\x1fme\x00") == "acme"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("2026-11-23T09:00:00Z", "2026-11-23T09:00:00Z"),
        ("2026-11-23T10:00:00.999+01:00", "2026-11-23T09:00:00Z"),
        ("2026-11-22T23:30:00-09:30", "2026-11-23T09:00:00Z"),
        ("2026-11-23t09:00:00z", "2026-11-23T09:00:00Z"),
    ],
)
def test_instants_are_utc_to_the_second(raw, canonical):
    assert normalize.instant(raw) == canonical


@pytest.mark.parametrize("raw", ["2026-11-23T09:00:00", "yesterday", "2026-13-01T00:00:00Z"])
def test_an_instant_needs_a_zone_and_a_date(raw):
    with pytest.raises(ValueError, match="ISO 8601"):
        normalize.instant(raw)


def test_canonical_instants_sort_as_text_in_time_order():
    times = ["2026-11-23T09:00:00.5+00:00", "2026-11-23T09:00:01Z", "2026-11-23T10:00:00+00:30", "2026-11-23T09:45Z"]
    canonical = [normalize.instant(time) for time in times]
    assert canonical[2] == "2026-11-23T09:30:00Z"
    assert sorted(canonical) == canonical
