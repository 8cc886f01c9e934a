"""Recompute every template's search vector and the typo-correction vocabulary."""

from django.core.management.base import BaseCommand

from synapscale.services.audit import audited_command
from templates_app.search.index import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Recompute search vectors and the typo-correction vocabulary from the published "
        "templates (after a bulk load or a change of the tokenizer). Safe to run any time."
    )

    def handle(self, *args, **options):
        with audited_command("rebuild_search_index"):
            words = search_index_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {words} vocabulary words."))
