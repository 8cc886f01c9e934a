"""Split text into the words the vocabulary indexes, and compare words by trigrams.

Pure functions: the same code computes the trigrams stored in the database and the trigrams
of a query word, so both sides agree. Trigrams follow pg_trgm's convention (a word is padded
with two spaces in front and one behind), which weights the start of a word, where typos are
rarer.
"""

from __future__ import annotations

import re

# Words shorter than this carry too few trigrams to correct reliably ("ai", "go"...).
MIN_WORD_LENGTH = 3
# Longer tokens are ids, hashes or URLs, not words anyone types.
MAX_WORD_LENGTH = 32

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Return the lower-cased words of `text`, in order, repeats kept."""
    return [match.group(0) for match in _WORD_RE.finditer(text.lower())]


def vocabulary_words(*texts: str) -> set[str]:
    """Return the distinct words of `texts` worth keeping in the typo-correction vocabulary."""
    words: set[str] = set()
    for text in texts:
        for word in tokenize(text):
            if is_correctable(word):
                words.add(word)
    return words


def is_correctable(word: str) -> bool:
    """Tell whether `word` is a candidate for typo correction (a word, not a number or id)."""
    return MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and not word.isdigit()


def trigrams(word: str) -> list[str]:
    """Return the sorted distinct trigrams of `word`, padded the way pg_trgm pads."""
    padded = f"  {word.lower()} "
    return sorted({padded[index : index + 3] for index in range(len(padded) - 2)})


def trigram_similarity(first: str, second: str) -> float:
    """Return |shared trigrams| / |all trigrams| (pg_trgm's `similarity`), between 0 and 1."""
    first_set, second_set = set(trigrams(first)), set(trigrams(second))
    union = first_set | second_set
    return len(first_set & second_set) / len(union) if union else 0.0


def edit_distance(first: str, second: str) -> int:
    """Return the optimal-string-alignment distance: edits, with a swap of neighbours as one.

    Trigram similarity alone scores transpositions badly ("emial" shares 2 of 10 trigrams
    with "email"), so candidates found by trigrams are re-ranked by this distance.
    """
    rows, cols = len(first) + 1, len(second) + 1
    table = [[0] * cols for _ in range(rows)]
    for row in range(rows):
        table[row][0] = row
    for col in range(cols):
        table[0][col] = col
    for row in range(1, rows):
        for col in range(1, cols):
            cost = 0 if first[row - 1] == second[col - 1] else 1
            table[row][col] = min(
                table[row - 1][col] + 1,
                table[row][col - 1] + 1,
                table[row - 1][col - 1] + cost,
            )
            if (
                row > 1
                and col > 1
                and first[row - 1] == second[col - 2]
                and first[row - 2] == second[col - 1]
            ):
                table[row][col] = min(table[row][col], table[row - 2][col - 2] + 1)
    return table[-1][-1]


def max_edits_for(word: str) -> int:
    """Return how many edits a correction of `word` may make: more for longer words."""
    if len(word) <= 4:
        return 1
    return 2
