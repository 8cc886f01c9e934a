"""Keep the search vector and the typo-correction vocabulary in step with template text.

Called by the services that write templates, inside their transaction: the vector of a
template is recomputed whenever its text changes; the vocabulary counts the published
templates each word appears in, so typo correction never suggests a word that only a draft
(or nothing any more) contains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import F, Func, TextField, Value

from templates_app.constants import SEARCH_CONFIG
from templates_app.models import SearchTerm, Template
from templates_app.search.text import trigrams, vocabulary_words

SEARCHABLE_FIELDS = ("name", "short_description", "description", "tags")

# Upserts a batch of (word, trigrams, count) rows; rows are sorted by word by the caller so
# that concurrent writers lock the same rows in the same order and cannot deadlock.
_UPSERT_SQL = """
INSERT INTO templates_app_searchterm (word, trigrams, document_count)
SELECT word, string_to_array(trigram_list, '|')::varchar(3)[], document_count
FROM unnest(%s::varchar[], %s::text[], %s::int[]) AS batch(word, trigram_list, document_count)
ON CONFLICT (word) DO UPDATE
SET document_count = templates_app_searchterm.document_count + EXCLUDED.document_count
"""


def search_vector_expression() -> SearchVector:
    """Return the weighted vector: name A, short description and tags B, description C."""
    tags_text = Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField())
    return (
        SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector("short_description", tags_text, weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG)
    )


def template_words(template: Template) -> set[str]:
    """Return the vocabulary words of a template's searchable text."""
    return vocabulary_words(
        template.name, template.short_description, template.description, " ".join(template.tags)
    )


def search_vector_update(*, template_ids: Iterable[int]) -> None:
    """Recompute the stored search vector of the given templates."""
    Template.objects.filter(pk__in=list(template_ids)).update(
        search_vector=search_vector_expression()
    )


def vocabulary_add(words: Counter | Iterable[str]) -> None:
    """Count each word once more (or by its Counter value) in the vocabulary."""
    counts = words if isinstance(words, Counter) else Counter(set(words))
    batch = sorted((word, count) for word, count in counts.items() if count > 0)
    for start in range(0, len(batch), 5000):
        chunk = batch[start : start + 5000]
        with connection.cursor() as cursor:
            cursor.execute(
                _UPSERT_SQL,
                [
                    [word for word, _ in chunk],
                    ["|".join(trigrams(word)) for word, _ in chunk],
                    [count for _, count in chunk],
                ],
            )


def vocabulary_remove(words: Iterable[str]) -> None:
    """Count each word once less; words no published template contains any more go away."""
    words = sorted(set(words))
    if not words:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE templates_app_searchterm SET document_count = document_count - 1 "
            "WHERE word = ANY(%s) AND document_count > 0",
            [words],
        )
        cursor.execute(
            "DELETE FROM templates_app_searchterm WHERE word = ANY(%s) AND document_count = 0",
            [words],
        )


def vocabulary_replace(*, before: set[str], after: set[str]) -> None:
    """Move a published template's words from `before` to `after` in the vocabulary."""
    vocabulary_remove(before - after)
    vocabulary_add(after - before)


@transaction.atomic
def search_index_rebuild(*, batch_size: int = 2000) -> int:
    """Recompute every vector and the whole vocabulary from the published templates.

    For operators (after a tokenizer change or a bulk load); returns the vocabulary size.
    """
    from templates_app.choices import TemplateStatus

    Template.objects.update(search_vector=search_vector_expression())
    counts: Counter = Counter()
    published = Template.objects.filter(status=TemplateStatus.PUBLISHED).values_list(
        "name", "short_description", "description", "tags"
    )
    for name, short_description, description, tags in published.iterator(chunk_size=batch_size):
        counts.update(vocabulary_words(name, short_description, description, " ".join(tags)))
    SearchTerm.objects.all().delete()
    vocabulary_add(counts)
    return len(counts)
