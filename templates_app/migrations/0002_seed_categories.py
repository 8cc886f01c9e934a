"""Seed the marketplace's 13 categories (a frozen copy of the data: migrations must not change)."""

from django.db import migrations

CATEGORIES = [
    ("automation", "Automation", "Hands-off routines that run on a schedule or a trigger."),
    ("data-processing", "Data processing", "Clean, transform, enrich and move data."),
    ("ai-workflows", "AI workflows", "Language models, classification, extraction, agents."),
    ("marketing", "Marketing", "Campaigns, leads, newsletters and social media."),
    ("productivity", "Productivity", "Tasks, calendars, notes and personal routines."),
    ("integration", "Integration", "Connect SaaS tools and keep them in sync."),
    ("analytics", "Analytics", "Metrics, reports, dashboards and alerts."),
    ("content-creation", "Content creation", "Write, summarise, translate and publish content."),
    ("customer-service", "Customer service", "Tickets, triage, replies and satisfaction."),
    ("finance", "Finance", "Invoices, payments, expenses and reconciliation."),
    ("hr", "HR", "Hiring, onboarding, time off and people operations."),
    ("sales", "Sales", "Pipelines, CRM hygiene, follow-ups and quotes."),
    ("other", "Other", "Everything that does not fit elsewhere."),
]


def seed_categories(apps, schema_editor):
    Category = apps.get_model("templates_app", "Category")
    for position, (slug, name, description) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def remove_categories(apps, schema_editor):
    Category = apps.get_model("templates_app", "Category")
    Category.objects.filter(slug__in=[slug for slug, _, _ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("templates_app", "0001_initial")]

    operations = [migrations.RunPython(seed_categories, remove_categories)]
