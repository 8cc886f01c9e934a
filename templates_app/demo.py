"""Demo marketplace for `manage.py seed_demo`: templates, reviews, installs and a collection.

Everything goes through the services (so search, ratings and counters are real) and is
idempotent: templates are found by slug, reviews by (user, template), and so on.
"""

from __future__ import annotations

import zlib

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from synapscale.models import Workspace
from synapscale.services.workspaces import workspace_create
from templates_app.choices import TemplateStatus
from templates_app.demo_catalogue import (
    CATALOGUE,
    DRAFTS,
    FEATURED,
    PENDING_REVIEW,
    PRICES,
    REVIEW_TEXTS,
    REVIEWERS,
    STARTER_COLLECTION,
    VERIFIED,
)
from templates_app.models import Collection, Review, Template, TemplateInstall
from templates_app.services.categories import categories_ensure
from templates_app.services.collections import (
    collection_create,
    collection_item_add,
    collection_set_featured,
)
from templates_app.services.crud import template_create, template_submit
from templates_app.services.marketplace import template_install, trending_scores_refresh
from templates_app.services.moderation import (
    template_approve,
    template_set_featured,
    template_set_verified,
)
from templates_app.services.reviews import review_create


def _node(node_id: str, node_type: str, **params) -> dict:
    return {"id": node_id, "type": node_type, "params": params}


def webhook_definition(name: str) -> tuple[dict, list[dict]]:
    """Build a payload from the input and POST it to a Slack-style incoming webhook."""
    text = {"expr": "join(' ', ['" + name + ":', to_string(input)])"}
    post = _node(
        "post",
        "http_request",
        method="POST",
        url="https://hooks.slack.com/services/{{webhook_path}}",
        json={"expr": "nodes.payload"},
        timeout_seconds=10,
    )
    post["retry"] = {"max_attempts": 3, "backoff_seconds": 2}
    definition = {
        "nodes": [_node("payload", "set", fields={"text": text, "channel": "{{channel}}"}), post],
        "edges": [{"from": "payload", "to": "post"}],
    }
    variables = [
        {"name": "webhook_path", "description": "The part after /services/ of the webhook URL"},
        {
            "name": "channel",
            "description": "Channel to post in",
            "required": False,
            "default": "#general",
        },
    ]
    return definition, variables


def branch_definition(name: str) -> tuple[dict, list[dict]]:
    """Compare the input's value with a threshold and take one of two branches."""
    measure_fields = {"value": {"expr": "input.value"}, "threshold": "{{threshold}}"}
    definition = {
        "nodes": [
            _node("measure", "set", fields=measure_fields),
            _node("check", "condition", expr="nodes.measure.value > nodes.measure.threshold"),
            _node("escalate", "set", fields={"action": "escalate", "rule": name}),
            _node("handle", "set", fields={"action": "handle", "rule": name}),
        ],
        "edges": [
            {"from": "measure", "to": "check"},
            {"from": "check", "to": "escalate", "when": "true"},
            {"from": "check", "to": "handle", "when": "false"},
        ],
    }
    variables = [
        {
            "name": "threshold",
            "type": "integer",
            "description": "Escalate above this value",
            "required": False,
            "default": 100,
        }
    ]
    return definition, variables


def pipeline_definition(name: str) -> tuple[dict, list[dict]]:
    """Pick records from the input, count them and summarise."""
    pick_fields = {"records": {"expr": "input.records || `[]`"}, "source": "{{source}}"}
    summary_fields = {"workflow": name, "count": {"expr": "nodes.count"}}
    definition = {
        "nodes": [
            _node("pick", "set", fields=pick_fields),
            _node("count", "transform", expr="length(nodes.pick.records)"),
            _node("summary", "set", fields=summary_fields),
        ],
        "edges": [{"from": "pick", "to": "count"}, {"from": "count", "to": "summary"}],
    }
    variables = [{"name": "source", "description": "Where the records come from"}]
    return definition, variables


PATTERNS = {
    "webhook": webhook_definition,
    "branch": branch_definition,
    "pipeline": pipeline_definition,
}


def _ensure_user(username: str):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com"}
    )
    if not Workspace.objects.filter(memberships__user=user, is_personal=True).exists():
        workspace_create(name=f"{username}'s workspace", owner=user, is_personal=True)
    return user


def _personal_workspace(user) -> Workspace:
    return Workspace.objects.get(memberships__user=user, is_personal=True)


def _seed_template(row, category: str, *, workspace, user, staff_user) -> Template:
    name, short_description, tags, complexity, license_, pattern = row
    existing = Template.objects.filter(slug=slugify(name)).first()
    if existing is not None:
        return existing
    definition, variables = PATTERNS[pattern](name)
    template = template_create(
        workspace=workspace,
        user=user,
        name=name,
        category=category,
        definition=definition,
        short_description=short_description,
        description=(
            f"{short_description}. Install it, fill in the variables and run it from the "
            f"workflow editor; every step is a plain node you can change."
        ),
        tags=tags.split(),
        complexity=complexity,
        license=license_,
        price=PRICES[license_],
        required_variables=variables,
        changelog="First release.",
    )
    if name in DRAFTS:
        return template
    template = template_submit(template=template, user=user)
    if name in PENDING_REVIEW:
        return template
    template = template_approve(template=template, user=staff_user)
    if name in FEATURED:
        template_set_featured(template=template, user=staff_user, featured=True)
    if name in VERIFIED:
        template_set_verified(template=template, user=staff_user, verified=True)
    return template


def _stable_number(*parts: str) -> int:
    """A deterministic pseudo-random number, so re-running the seed gives the same data."""
    return zlib.crc32("|".join(parts).encode())


def _seed_reviews_and_installs(template: Template, reviewers) -> None:
    for reviewer in reviewers:
        roll = _stable_number(template.slug, reviewer.username)
        if roll % 3 and not Review.objects.filter(template=template, user=reviewer).exists():
            rating = (5, 5, 4, 4, 3, 2)[roll % 6]
            title, body = REVIEW_TEXTS[rating]
            review_create(template=template, user=reviewer, rating=rating, title=title, body=body)
        if (
            roll % 2
            and not TemplateInstall.objects.filter(template=template, user=reviewer).exists()
        ):
            variables = {
                spec["name"]: "T000/B000/demo" if spec.get("type", "string") == "string" else 1
                for spec in template.required_variables
                if spec.get("required", True)
            }
            template_install(
                template=template,
                user=reviewer,
                workspace=_personal_workspace(reviewer),
                variables=variables,
            )


def seed_demo(*, workspace, user, staff_user, stdout) -> None:
    """Add ~50 templates across the categories, reviews, installs and a public collection."""
    categories_ensure()
    reviewers = [_ensure_user(f"demo-{name}") for name in REVIEWERS]
    templates = {}
    for category, rows in CATALOGUE.items():
        for row in rows:
            template = _seed_template(
                row, category, workspace=workspace, user=user, staff_user=staff_user
            )
            templates[template.name] = template
    published = [t for t in templates.values() if t.status == TemplateStatus.PUBLISHED]
    for template in published:
        _seed_reviews_and_installs(template, reviewers)
    trending_scores_refresh()
    collection = Collection.objects.filter(workspace=workspace, slug="starter-pack").first()
    if collection is None:
        collection = collection_create(
            workspace=workspace,
            user=user,
            name="Starter pack",
            description="Six templates every team installs in its first week.",
            is_public=True,
        )
        for name in STARTER_COLLECTION:
            collection_item_add(
                collection=collection,
                template=templates[name],
                user=user,
                note=templates[name].short_description,
            )
        collection_set_featured(collection=collection, user=staff_user, featured=True)
    stdout.write(
        f"  templates_app: {len(templates)} templates ({len(published)} published), "
        f"{Review.objects.filter(template__in=published).count()} reviews, "
        f"collection '{collection.name}'"
    )
