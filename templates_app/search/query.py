"""Turn what a user typed into a full-text query, correcting words the index does not know.

Each query word the vocabulary knows is searched as typed. An unknown word is looked up by
trigram overlap (GIN index on the vocabulary's trigram arrays), the candidates re-ranked by
edit distance, and the word is then searched as "typed OR corrected", so a correct word the
vocabulary has not seen yet still matches while a typo finds what was meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery
from django.db import connection

from templates_app.constants import SEARCH_CONFIG
from templates_app.models import SearchTerm
from templates_app.search.text import (
    edit_distance,
    is_correctable,
    max_edits_for,
    tokenize,
    trigrams,
)

# Words beyond this are ignored: a search box is not a document.
MAX_QUERY_WORDS = 8
# How many trigram neighbours are re-ranked by edit distance.
CANDIDATE_LIMIT = 100

# Similarity is |shared| / (|mine| + |theirs| - |shared|) (both arrays hold distinct
# trigrams), pg_trgm's measure computed with core array functions only. The GIN index finds
# the words sharing a trigram; unnesting them counts how many they share.
_CANDIDATES_SQL = """
SELECT word, document_count, similarity,
       to_tsvector(%(config)s, word) = to_tsvector(%(config)s, %(typed)s) AS same_stem
FROM (
    SELECT word, document_count,
           shared::float / (cardinality(trigrams) + %(size)s - shared) AS similarity
    FROM (
        SELECT term.word, term.document_count, term.trigrams, count(*) AS shared
        FROM templates_app_searchterm AS term CROSS JOIN LATERAL unnest(term.trigrams) AS gram
        WHERE term.trigrams && %(grams)s::varchar[]
          AND char_length(term.word) BETWEEN %(shortest)s AND %(longest)s
          AND gram = ANY(%(grams)s::varchar[])
        GROUP BY term.word
    ) AS overlapping
    ORDER BY similarity DESC, document_count DESC, word
    LIMIT %(limit)s
) AS candidate
"""


@dataclass(frozen=True)
class ParsedQuery:
    """A full-text query (None when nothing searchable was typed) and the corrections made."""

    search_query: SearchQuery | None
    corrections: dict[str, str] = field(default_factory=dict)


def parse_search_text(text: str) -> ParsedQuery:
    """Return the full-text query for `text`: words AND-ed, each widened by its correction."""
    words = list(dict.fromkeys(tokenize(text)))[:MAX_QUERY_WORDS]
    if not words:
        return ParsedQuery(search_query=None)
    corrections = correct_words(words)
    search_query = None
    for word in words:
        term = SearchQuery(word, search_type="plain", config=SEARCH_CONFIG)
        if word in corrections:
            term |= SearchQuery(corrections[word], search_type="plain", config=SEARCH_CONFIG)
        search_query = term if search_query is None else search_query & term
    return ParsedQuery(search_query=search_query, corrections=corrections)


def correct_words(words: list[str]) -> dict[str, str]:
    """Return {typed: corrected} for the words the vocabulary does not know but can fix."""
    candidates = [word for word in words if is_correctable(word)]
    if not candidates:
        return {}
    known = set(SearchTerm.objects.filter(word__in=candidates).values_list("word", flat=True))
    corrections = {}
    for word in candidates:
        if word in known:
            continue
        correction = best_correction(word)
        if correction is not None:
            corrections[word] = correction
    return corrections


def best_correction(word: str) -> str | None:
    """Return the vocabulary word closest to `word` within its allowed edits, or None.

    None too when `word` is another form of a vocabulary word (same stem).
    """
    grams = trigrams(word)
    allowed = max_edits_for(word)
    with connection.cursor() as cursor:
        cursor.execute(
            _CANDIDATES_SQL,
            {
                "grams": grams,
                "size": len(grams),
                "shortest": len(word) - allowed,
                "longest": len(word) + allowed,
                "limit": CANDIDATE_LIMIT,
                "config": SEARCH_CONFIG,
                "typed": word,
            },
        )
        rows = cursor.fetchall()
    if any(same_stem for *_, same_stem in rows):
        # Another form of a known word ("invoice" next to "invoices"): full-text search
        # stems both alike, so there is nothing to correct.
        return None
    ranked = []
    for candidate, document_count, similarity, _ in rows:
        distance = edit_distance(word, candidate)
        if distance <= allowed:
            # Fewest edits first; among those the word more templates use (what people most
            # likely meant), then the closer spelling.
            ranked.append((distance, -document_count, -similarity, candidate))
    return min(ranked)[3] if ranked else None
