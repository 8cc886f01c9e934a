"""A template without visible reviews scores the prior mean, however it got there.

Before, a never-reviewed template kept the field default 0 while one whose reviews were all
deleted or hidden was recomputed to the prior mean (3.5), so one 1-star review (3.27) ranked
a template above every unreviewed one in `top_rated`.
"""

from django.db import migrations, models

# Frozen copy of templates_app.ranking.UNRATED_SCORE (= bayesian_rating(0, 0)) at this
# migration; a test checks they agree.
UNRATED_SCORE = 3.5


def backfill_unrated_scores(apps, schema_editor):
    Template = apps.get_model("templates_app", "Template")
    Template.objects.filter(rating_count=0).exclude(rating_score=UNRATED_SCORE).update(
        rating_score=UNRATED_SCORE
    )


class Migration(migrations.Migration):
    dependencies = [
        ("templates_app", "0004_published_category_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="template",
            name="rating_score",
            field=models.FloatField(default=UNRATED_SCORE),
        ),
        migrations.RunPython(backfill_unrated_scores, migrations.RunPython.noop, elidable=True),
    ]
