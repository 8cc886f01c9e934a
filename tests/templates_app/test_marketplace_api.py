"""The public marketplace API: search filters, sorts, pages, home, categories, caching."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from templates_app.models import Category, Template
from templates_app.ranking import bayesian_rating, trending_weight
from templates_app.services.marketplace import trending_scores_refresh
from templates_app.services.reviews import review_create, review_delete
from tests.factories import UserFactory
from tests.templates_app.factories import install_at

pytestmark = pytest.mark.django_db

SEARCH_URL = "/api/v1/marketplace/templates/"


def names(response):
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=sales", ["CRM lead sync"]),
        ("tags=crm", ["CRM lead sync", "Weekly sales digest"]),
        ("tags=crm,email", ["Weekly sales digest"]),
        ("license=premium", ["CRM lead sync"]),
        ("price_min=20", ["Weekly sales digest"]),
        ("price_max=20", ["CRM lead sync", "Slack incident alerts"]),
        ("complexity=1", ["Slack incident alerts"]),
        ("is_featured=true", ["Slack incident alerts"]),
        ("is_verified=true", ["Weekly sales digest"]),
        ("author=alice", ["CRM lead sync", "Slack incident alerts", "Weekly sales digest"]),
        ("author=bob", []),
        ("q=sales&category=analytics", ["Weekly sales digest"]),
        ("q=slak", ["Slack incident alerts"]),
    ],
)
def test_each_filter_narrows_the_results(anon_client, catalogue, query, expected):
    response = anon_client.get(f"{SEARCH_URL}?{query}&sort=newest")
    assert sorted(names(response)) == sorted(expected)


def test_rating_min_filters_on_the_average(anon_client, catalogue, other_user):
    review_create(template=catalogue["crm"], user=other_user, rating=4)
    review_create(template=catalogue["slack"], user=other_user, rating=2)
    assert names(anon_client.get(f"{SEARCH_URL}?rating_min=3.5")) == ["CRM lead sync"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=astrology", "category"),
        ("license=gratis", "license"),
        ("complexity=6", "complexity"),
        ("price_min=-1", "price_min"),
        ("sort=random", "sort"),
        ("colour=red", "colour"),
        ("ordering=name", "ordering"),
    ],
)
def test_bad_parameters_answer_400_naming_them(anon_client, query, field):
    response = anon_client.get(f"{SEARCH_URL}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_typo_corrections_are_reported(anon_client, catalogue):
    body = anon_client.get(f"{SEARCH_URL}?q=incidnet").json()
    assert body["corrections"] == {"incidnet": "incident"}
    assert [row["name"] for row in body["results"]] == ["Slack incident alerts"]


def test_popular_sorts_by_installs(anon_client, catalogue):
    Template.objects.filter(pk=catalogue["digest"].pk).update(install_count=50)
    Template.objects.filter(pk=catalogue["slack"].pk).update(install_count=7)
    assert names(anon_client.get(f"{SEARCH_URL}?sort=popular")) == [
        "Weekly sales digest",
        "Slack incident alerts",
        "CRM lead sync",
    ]


def test_trending_weights_recent_installs_and_ignores_old_ones(anon_client, catalogue, user):
    now = timezone.now()
    for _ in range(3):  # three installs 6 days ago: 3 * 0.5**3 = 0.375
        install_at(catalogue["crm"], user, now - timedelta(days=6))
    install_at(catalogue["slack"], user, now - timedelta(hours=1))  # ~0.99
    for _ in range(20):  # popular, but a month ago: 0
        install_at(catalogue["digest"], user, now - timedelta(days=30))
    assert trending_scores_refresh(now=now) == 2
    assert names(anon_client.get(f"{SEARCH_URL}?sort=trending"))[:2] == [
        "Slack incident alerts",
        "CRM lead sync",
    ]
    scores = dict(Template.objects.values_list("name", "trending_score"))
    assert scores["Weekly sales digest"] == 0
    # The SQL refresh agrees with the Python formula of templates_app.ranking.
    assert scores["CRM lead sync"] == pytest.approx(3 * trending_weight(timedelta(days=6)))


def test_top_rated_uses_a_bayesian_average(anon_client, catalogue):
    review_create(template=catalogue["slack"], user=UserFactory(username="fan"), rating=5)
    for index in range(30):
        rating = 4 if index % 5 == 0 else 5  # average 4.8 over 30 reviews
        review_create(
            template=catalogue["crm"], user=UserFactory(username=f"r{index}"), rating=rating
        )
    crm = Template.objects.get(pk=catalogue["crm"].pk)
    assert (crm.rating_avg, crm.rating_count) == (Decimal("4.80"), 30)
    assert names(anon_client.get(f"{SEARCH_URL}?sort=top_rated"))[:2] == [
        "CRM lead sync",
        "Slack incident alerts",
    ]


def test_top_rated_puts_unreviewed_templates_between_one_and_five_stars(
    anon_client, make_template, other_user
):
    make_template(name="Never reviewed", published=True)
    emptied = make_template(name="Review deleted", published=True)
    one_star = make_template(name="One star", published=True)
    five_stars = make_template(name="Five stars", published=True)
    review_delete(
        review=review_create(template=emptied, user=other_user, rating=1), user=other_user
    )
    review_create(template=one_star, user=other_user, rating=1)
    review_create(template=five_stars, user=other_user, rating=5)
    scores = dict(Template.objects.values_list("name", "rating_score"))
    # No visible reviews is one state with one score, however the template got there.
    assert (
        scores["Never reviewed"]
        == scores["Review deleted"]
        == bayesian_rating(rating_sum=0, rating_count=0)
    )
    ranked = names(anon_client.get(f"{SEARCH_URL}?sort=top_rated"))
    assert ranked[0] == "Five stars" and ranked[-1] == "One star"
    assert set(ranked[1:3]) == {"Never reviewed", "Review deleted"}


def test_newest_sorts_by_first_publication(anon_client, catalogue):
    Template.objects.filter(pk=catalogue["crm"].pk).update(
        published_at=timezone.now() + timedelta(minutes=1)
    )
    assert names(anon_client.get(f"{SEARCH_URL}?sort=newest"))[0] == "CRM lead sync"


def test_drafts_never_appear(anon_client, make_template):
    make_template(name="Secret draft")
    assert names(anon_client.get(f"{SEARCH_URL}?q=secret")) == []
    assert anon_client.get(f"{SEARCH_URL}secret-draft/").status_code == 404


def test_pages_link_to_each_other(anon_client, make_template):
    for index in range(5):
        make_template(name=f"Paged {index}", published=True)
    first = anon_client.get(f"{SEARCH_URL}?page_size=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    last = anon_client.get(f"{SEARCH_URL}?page_size=2&page=3").json()
    assert last["next"] is None and len(last["results"]) == 1
    assert anon_client.get(f"{SEARCH_URL}?page_size=2&page=4").status_code == 404
    # Ranked by relevance the total comes from the page query itself (a window count).
    for sort in ("relevance", "newest"):
        texted = anon_client.get(f"{SEARCH_URL}?q=paged&page_size=2&page=3&sort={sort}").json()
        assert (texted["count"], len(texted["results"])) == (5, 1)
    assert anon_client.get(f"{SEARCH_URL}?q=paged&page_size=2&page=4").status_code == 404
    assert anon_client.get(f"{SEARCH_URL}?q=nothingmatches").json()["count"] == 0
    assert anon_client.get(f"{SEARCH_URL}?page=zero").status_code == 404


@pytest.mark.parametrize(
    "page",
    ["%C2%B2", "99999999999999999999", "9" * 5000, "0", "-1", "+2", "1.0", "%D9%A3", "10000000"],
)
@pytest.mark.parametrize("url", [SEARCH_URL, "/api/v1/marketplace/categories/"])
def test_malformed_or_huge_page_numbers_answer_404(anon_client, published, url, page):
    response = anon_client.get(f"{url}?page={page}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_page_past_the_last_answers_404(anon_client, published):
    assert anon_client.get(f"{SEARCH_URL}?page=9999999").status_code == 404
    assert anon_client.get("/api/v1/marketplace/categories/?page=9999999").status_code == 404
    assert anon_client.get(f"{SEARCH_URL}?page=").json()["count"] == 1


def test_search_list_does_a_bounded_number_of_queries(
    anon_client, make_template, django_assert_max_num_queries
):
    for index in range(12):
        make_template(name=f"Queries {index}", published=True, tags=["bulk"])
    with django_assert_max_num_queries(4):
        assert len(names(anon_client.get(f"{SEARCH_URL}?q=queries&tags=bulk"))) == 12


def test_results_are_cached_and_refresh_recomputes(anon_client, api_client, catalogue):
    first = anon_client.get(f"{SEARCH_URL}?sort=newest").json()
    second = anon_client.get(f"{SEARCH_URL}?sort=newest").json()
    assert (first["is_cached"], second["is_cached"]) == (False, True)
    assert second["cached_at"] is not None
    # A counter changed without an invalidating event: the cached page still shows the old.
    Template.objects.filter(pk=catalogue["crm"].pk).update(name="Renamed behind the cache")
    assert "Renamed behind the cache" not in names(anon_client.get(f"{SEARCH_URL}?sort=newest"))
    # Anonymous callers get the cached page; a signed-in caller may recompute it.
    ignored = anon_client.get(f"{SEARCH_URL}?sort=newest&refresh=true").json()
    assert ignored["is_cached"] is True
    refreshed = api_client.get(f"{SEARCH_URL}?sort=newest&refresh=true").json()
    assert refreshed["is_cached"] is False
    assert "Renamed behind the cache" in [row["name"] for row in refreshed["results"]]


def test_detail_shows_the_definition_and_counts_views_once_per_visitor_and_day(
    anon_client, api_client, catalogue
):
    from templates_app.services.marketplace import template_views_flush

    slug = catalogue["slack"].slug
    for _ in range(3):
        body = anon_client.get(f"{SEARCH_URL}{slug}/").json()
    assert body["definition"]["nodes"][0]["type"] == "set"
    api_client.get(f"{SEARCH_URL}{slug}/")
    api_client.get(f"{SEARCH_URL}{slug}/")
    # Another browser at the same address is another visitor.
    anon_client.get(f"{SEARCH_URL}{slug}/", HTTP_USER_AGENT="Other/1.0")
    assert Template.objects.get(slug=slug).view_count == 0
    assert template_views_flush() == 3
    assert Template.objects.get(slug=slug).view_count == 3
    anon_client.get(f"{SEARCH_URL}{slug}/")  # the same visitor, the same day
    assert template_views_flush() == 0


def test_a_visitor_counts_again_the_next_day(catalogue, monkeypatch):
    from django.utils import timezone
    from django_redis import get_redis_connection

    from templates_app.constants import VIEW_COUNTS_KEY
    from templates_app.services.marketplace import template_view_record

    template_id = catalogue["slack"].pk
    today = timezone.now()
    template_view_record(template_id=template_id, visitor="u1")
    template_view_record(template_id=template_id, visitor="u1")
    monkeypatch.setattr(timezone, "now", lambda: today + timedelta(days=1))
    template_view_record(template_id=template_id, visitor="u1")
    template_view_record(template_id=template_id, visitor="u1")
    assert int(get_redis_connection("default").hget(VIEW_COUNTS_KEY, str(template_id))) == 2


def test_home_page_sections(anon_client, catalogue, user):
    install_at(catalogue["crm"], user, timezone.now())
    trending_scores_refresh()
    body = anon_client.get("/api/v1/marketplace/").json()
    assert [row["name"] for row in body["featured"]] == ["Slack incident alerts"]
    assert [row["name"] for row in body["trending"]] == ["CRM lead sync"]
    assert len(body["newest"]) == 3
    counts = {row["slug"]: row["template_count"] for row in body["top_categories"]}
    assert counts == {"sales": 1, "automation": 1, "analytics": 1}
    assert body["top_authors"][0]["username"] == "alice"
    assert body["top_authors"][0]["template_count"] == 3
    assert body["is_cached"] is False


def test_categories_list_all_thirteen_with_counts(anon_client, catalogue):
    assert Category.objects.count() == 13
    body = anon_client.get("/api/v1/marketplace/categories/").json()
    assert body["count"] == 13
    counts = {row["slug"]: row["template_count"] for row in body["results"]}
    assert counts["sales"] == 1 and counts["hr"] == 0
    assert body["results"][0]["slug"] == "automation"


def test_paid_templates_show_only_the_outline_of_their_definition(anon_client, catalogue):
    body = anon_client.get(f"{SEARCH_URL}{catalogue['crm'].slug}/").json()
    assert body["license"] == "premium"
    assert body["definition"] == {"nodes": [{"id": "a", "type": "set"}], "edges": []}


@pytest.mark.parametrize("query", ["tags=,,,", f"q={'x' * 201}", "page_size=abc&price_max=x"])
def test_malformed_values_are_a_400_not_a_500(anon_client, query):
    assert anon_client.get(f"{SEARCH_URL}?{query}").status_code == 400


def test_home_page_does_a_bounded_number_of_queries(
    anon_client, catalogue, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        assert anon_client.get("/api/v1/marketplace/").status_code == 200
