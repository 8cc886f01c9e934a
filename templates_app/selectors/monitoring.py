"""The marketplace's checks for /health/modules/: search vocabulary and trending refresh."""

from __future__ import annotations

from synapscale.health.modules import FAIL, OK, ModuleCheck, schedule_success_check
from synapscale.schedules import MANAGED_PREFIX
from templates_app.choices import TemplateStatus
from templates_app.models import SearchTerm, Template


def search_vocabulary_check() -> ModuleCheck:
    """Published templates with no vocabulary: typo correction finds nothing.

    The vocabulary follows each publish and unpublish; a bulk load or a restore that skipped
    them leaves it empty until `manage.py rebuild_search_index`.
    """
    published = Template.objects.filter(status=TemplateStatus.PUBLISHED).exists()
    words = SearchTerm.objects.exists()
    status = FAIL if published and not words else OK
    return ModuleCheck(status, {"published_templates": published, "vocabulary_words": words})


def trending_refresh_check() -> ModuleCheck:
    return schedule_success_check(
        f"{MANAGED_PREFIX}templates.refresh_trending", "templates_trending"
    )
