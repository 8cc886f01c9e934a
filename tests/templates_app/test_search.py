"""Full-text search: weighted ranking, typo tolerance and the vocabulary it relies on."""

import pytest

from templates_app.models import SearchTerm
from templates_app.search.index import search_index_rebuild
from templates_app.search.query import best_correction, correct_words, parse_search_text
from templates_app.selectors.marketplace import marketplace_search, marketplace_templates
from templates_app.services.crud import template_update
from templates_app.services.moderation import template_approve

pytestmark = pytest.mark.django_db


def search(text, sort=""):
    outcome = marketplace_search(marketplace_templates(), text=text, sort=sort)
    return [template.name for template in outcome.queryset], outcome.corrections


@pytest.fixture
def catalogue(make_template):
    make = lambda **fields: make_template(published=True, **fields)  # noqa: E731
    return {
        "name": make(name="Invoice reminder", short_description="Chase unpaid bills"),
        "short": make(name="Billing sync", short_description="Copy every invoice to accounting"),
        "tags": make(name="Payment alerts", tags=["invoice", "stripe"]),
        "description": make(name="Monthly close", description="Reconciles each invoice."),
        "other": make(name="Slack standup bot", description="Posts a daily email digest."),
    }


def test_name_outranks_short_description_and_tags_which_outrank_description(catalogue):
    names, corrections = search("invoice")
    assert corrections == {}
    assert names[0] == "Invoice reminder"
    assert set(names[1:3]) == {"Billing sync", "Payment alerts"}
    assert names[3] == "Monthly close"
    assert "Slack standup bot" not in names


def test_words_are_stemmed_and_all_required(catalogue):
    assert search("invoices")[0][0] == "Invoice reminder"
    assert search("invoice stripe")[0] == ["Payment alerts"]


@pytest.mark.parametrize(
    ("typed", "meant", "found"),
    [
        ("invoce", "invoice", "Invoice reminder"),
        ("emial", "email", "Slack standup bot"),
        ("slak", "slack", "Slack standup bot"),
        ("stanup", "standup", "Slack standup bot"),
        ("reminedr", "reminder", "Invoice reminder"),
    ],
)
def test_a_typo_still_finds_the_template(catalogue, typed, meant, found):
    names, corrections = search(typed)
    assert corrections == {typed: meant}
    assert found in names


def test_a_typo_next_to_a_correct_word_is_corrected_alone(catalogue):
    names, corrections = search("slak standup")
    assert corrections == {"slak": "slack"}
    assert names == ["Slack standup bot"]


def test_gibberish_finds_nothing_and_is_not_corrected(catalogue):
    assert search("qwxzv") == ([], {})


def test_blank_and_punctuation_only_queries_search_nothing():
    assert parse_search_text("").search_query is None
    assert parse_search_text(" ?! ").search_query is None


def test_corrections_prefer_the_closest_word(make_template):
    make_template(published=True, name="Email digest")
    make_template(published=True, name="Emit events")
    assert best_correction("emial") == "email"  # 1 swap, fewer shared trigrams than "emit"


def test_between_equally_close_words_the_most_common_wins(make_template):
    make_template(published=True, name="Lead scoring")
    make_template(published=True, name="Load orders")
    make_template(published=True, name="Load invoices")
    assert best_correction("laad") == "load"
    make_template(published=True, name="Lead routing")
    make_template(published=True, name="Lead enrichment")
    assert best_correction("laad") == "lead"


def test_drafts_do_not_feed_the_vocabulary(make_template):
    make_template(name="Confidential merger checklist")
    assert not SearchTerm.objects.filter(word="merger").exists()
    assert correct_words(["merger", "mergr"]) == {}


def test_rebuild_recomputes_the_vocabulary_from_published_templates(catalogue, user):
    SearchTerm.objects.all().delete()
    size = search_index_rebuild()
    assert size == SearchTerm.objects.count()
    assert SearchTerm.objects.get(word="invoice").document_count == 4
    assert search("invoce")[1] == {"invoce": "invoice"}


def test_editing_text_moves_words_in_the_vocabulary(catalogue, user, staff_user):
    template_update(
        template=catalogue["other"], user=user, name="Teams standup bot", version="9.0.0"
    )
    template_approve(template=catalogue["other"], user=staff_user)
    assert not SearchTerm.objects.filter(word="slack").exists()
    assert SearchTerm.objects.get(word="teams").document_count == 1
    assert search("teams")[0] == ["Teams standup bot"]


def test_rebuild_command_reports_the_vocabulary_size(catalogue):
    from io import StringIO

    from django.core.management import call_command

    SearchTerm.objects.all().delete()
    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert f"{SearchTerm.objects.count()} vocabulary words" in out.getvalue()
    assert SearchTerm.objects.filter(word="invoice").exists()


def test_another_form_of_a_known_word_is_not_corrected(make_template):
    make_template(published=True, name="Chase overdue invoices")
    assert correct_words(["invoice", "invoicse"]) == {"invoicse": "invoices"}


def test_among_equally_distant_words_the_common_one_beats_the_closer_spelling(make_template):
    # "emal" is one deletion from "emial" and shares more trigrams with it than "email"
    # (one transposition) does; "email" is what three templates use, "emal" one.
    make_template(published=True, name="Emal importer")
    for index in range(3):
        make_template(published=True, name=f"Email digest {index}")
    assert best_correction("emial") == "email"
