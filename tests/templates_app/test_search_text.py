"""Word splitting and trigram comparison shared by the vocabulary and the query side."""

from hypothesis import given
from hypothesis import strategies as st

from templates_app.search.text import (
    edit_distance,
    is_correctable,
    max_edits_for,
    tokenize,
    trigram_similarity,
    trigrams,
    vocabulary_words,
)

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


def test_tokenize_lowercases_and_splits_on_punctuation_and_underscores():
    assert tokenize("Send Slack_alerts, to e-mail! 2024") == [
        "send",
        "slack",
        "alerts",
        "to",
        "e",
        "mail",
        "2024",
    ]


def test_vocabulary_words_keeps_distinct_correctable_words_only():
    assert vocabulary_words("AI to CRM sync", "sync 12345 crm") == {"crm", "sync"}


def test_is_correctable_rejects_short_words_numbers_and_long_tokens():
    assert is_correctable("crm")
    assert not is_correctable("ai")
    assert not is_correctable("2024")
    assert not is_correctable("x" * 33)


def test_trigrams_are_padded_like_pg_trgm():
    assert trigrams("cat") == sorted(["  c", " ca", "cat", "at "])


def test_similarity_of_pg_trgm_examples():
    assert trigram_similarity("slack", "slack") == 1.0
    assert trigram_similarity("slak", "slack") == 3 / 8
    assert trigram_similarity("abc", "xyz") == 0.0


def test_edit_distance_counts_a_swap_of_neighbours_as_one_edit():
    assert edit_distance("emial", "email") == 1
    assert edit_distance("slak", "slack") == 1
    assert edit_distance("invoice", "invoices") == 1
    assert edit_distance("kitten", "sitting") == 3


def test_short_words_allow_one_edit_and_longer_words_two():
    assert max_edits_for("crm") == 1
    assert max_edits_for("slack") == 2


@given(words, words)
def test_similarity_is_symmetric_and_bounded(first, second):
    value = trigram_similarity(first, second)
    assert value == trigram_similarity(second, first)
    assert 0.0 <= value <= 1.0


@given(words, words)
def test_edit_distance_is_symmetric_and_zero_only_for_equal_words(first, second):
    assert edit_distance(first, second) == edit_distance(second, first)
    assert (edit_distance(first, second) == 0) == (first == second)
    assert edit_distance(first, second) <= max(len(first), len(second))
