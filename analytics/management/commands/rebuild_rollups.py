"""Rebuild the analytics rollups of a date range from raw events."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.services.metrics import rollups_rebuild
from synapscale.models import Workspace
from synapscale.services.audit import audited_command


class Command(BaseCommand):
    help = "Recompute hourly counts, daily active people and first-seen for a date range (UTC)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD (inclusive)")
        parser.add_argument("--workspace", help="Workspace slug (all workspaces when absent)")

    def handle(self, *args, date_from, date_to, workspace=None, **options):
        try:
            start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
        except ValueError as exc:
            raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from exc
        if start > end:
            raise CommandError("--from must not be after --to.")
        workspace_id = None
        if workspace:
            found = Workspace.objects.filter(slug=workspace).first()
            if found is None:
                raise CommandError(f"No workspace {workspace!r}.")
            workspace_id = found.id
        with audited_command(
            "rebuild_rollups", date_from=date_from, date_to=date_to, workspace=workspace
        ):
            result = rollups_rebuild(date_from=start, date_to=end, workspace_id=workspace_id)
        self.stdout.write(
            f"Rebuilt {start}..{end}: {result.hourly_rows} hourly rows, "
            f"{result.daily_rows} daily-active rows, {result.people_rows} people updated."
        )
