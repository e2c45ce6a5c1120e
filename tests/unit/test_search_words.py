"""Search normalization (rapport.normalize): what a name is found by, and what a search looks for."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from rapport import normalize

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
SEPARATORS = st.text(alphabet=" \t\n-'.,/&()_!?\u00b7\u2013", min_size=1, max_size=3)
ACCENTS = ("\u0301", "\u0300", "\u0308", "\u0302", "\u0327", "\u030a")


@given(st.text())
def test_folding_is_idempotent(text):
    assert normalize.fold(normalize.fold(text)) == normalize.fold(text)


@given(st.text())
def test_the_terms_of_terms_are_the_terms(text):
    terms = normalize.search_terms(text)
    assert normalize.search_terms(" ".join(terms)) == terms
    assert all(term and term.isalnum() and len(term) <= normalize.MAX_WORD_LENGTH for term in terms)
    assert len(set(terms)) == len(terms)


@given(st.lists(WORD, min_size=1, max_size=6), st.data())
def test_accents_and_case_do_not_matter(words, data):
    decorated = []
    for word in words:
        letters = [
            data.draw(st.sampled_from([char, char.upper()])) + data.draw(st.sampled_from(["", *ACCENTS]))
            for char in word
        ]
        decorated.append(unicodedata.normalize(data.draw(st.sampled_from(["NFC", "NFD"])), "".join(letters)))
    assert normalize.search_terms(" ".join(decorated)) == normalize.search_terms(" ".join(words))
    assert normalize.name_key(" ".join(decorated)) == " ".join(words)


@given(st.lists(WORD, min_size=1, max_size=6), st.lists(SEPARATORS, min_size=7, max_size=7))
def test_words_are_split_at_anything_but_letters_and_digits(words, separators):
    text = separators[0] + "".join(word + separator for word, separator in zip(words, separators[1:], strict=False))
    assert normalize.search_terms(text) == list(dict.fromkeys(words))


@given(st.lists(WORD, min_size=1, max_size=4), st.lists(WORD, min_size=1, max_size=4))
def test_a_name_is_found_by_the_start_of_each_of_its_words_and_the_words_run_together(first, last):
    first_name, last_name = "-".join(first), " ".join(last)
    words = normalize.search_words(first_name, last_name)
    for term in normalize.search_terms(f"{first_name} {last_name}"):
        assert any(word.startswith(term[:3]) for word in words)
    if len(first) > 1:
        assert "".join(first) in words, "a hyphenated name is found without its hyphen"
    assert len(words) <= normalize.MAX_SEARCH_WORDS


def test_examples():
    assert normalize.search_words("Zoë", "O'Neil-Smith") == ["zoe", "o", "neil", "smith", "oneilsmith"]
    assert normalize.search_words("Jörg", "Weiß") == ["jorg", "weiss"]
    assert normalize.search_terms("  Rachael  ROS ") == ["rachael", "ros"]
    assert normalize.search_terms("!!!") == []
