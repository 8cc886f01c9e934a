"""The demo marketplace seeds realistic, consistent data, and seeding twice changes nothing."""

from io import StringIO

import pytest

from synapscale.demo import seed_accounts
from templates_app.demo import seed_demo
from templates_app.models import Category, Collection, Review, Template, TemplateInstall
from templates_app.search.query import correct_words

pytestmark = pytest.mark.django_db


def counts():
    return (
        Template.objects.count(),
        Review.objects.count(),
        TemplateInstall.objects.count(),
        Collection.objects.count(),
    )


def test_seed_demo_is_realistic_and_idempotent():
    accounts = seed_accounts()
    out = StringIO()
    seed = lambda: seed_demo(  # noqa: E731
        workspace=accounts.workspace,
        user=accounts.user,
        staff_user=accounts.staff_user,
        stdout=out,
    )
    seed()
    first = counts()
    templates, reviews, installs, collections = first
    assert 45 <= templates <= 55
    assert reviews > 50 and installs > 20 and collections == 1
    published = Template.objects.filter(status="published")
    assert published.order_by().values("category").distinct().count() == 13
    assert Category.objects.count() == 13
    assert Template.objects.filter(status="pending_review").count() == 2
    assert published.filter(is_featured=True).count() == 5
    # The aggregates and counters were maintained by the services.
    for template in published.filter(rating_count__gt=0)[:10]:
        ratings = list(template.reviews.values_list("rating", flat=True))
        assert template.rating_count == len(ratings)
        assert float(template.rating_avg) == pytest.approx(sum(ratings) / len(ratings), abs=0.01)
        assert template.install_count == template.installs.count()
    collection = Collection.objects.get()
    assert collection.is_public and collection.is_featured and collection.items.count() == 6
    assert correct_words(["invoce"]) == {"invoce": "invoice"}
    assert "templates_app: " in out.getvalue()

    seed()
    assert counts() == first
