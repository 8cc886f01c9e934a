from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class SearchTerm(models.Model):
    """A word of the published templates' text, with its trigrams, for typo correction.

    `document_count` is the number of published templates containing the word; a word at
    zero is deleted. Query words that are not in this table are matched against it by
    trigram overlap (the GIN index answers `trigrams && ARRAY[...]`).
    """

    word = models.CharField(max_length=32, primary_key=True)
    trigrams = ArrayField(models.CharField(max_length=3))
    document_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [GinIndex(fields=["trigrams"], name="templates_searchterm_trgm_gin")]

    def __str__(self):
        return self.word
