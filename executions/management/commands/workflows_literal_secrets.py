from django.core.management.base import BaseCommand

from executions.selectors.workflows import workflows_with_literal_secret_headers


class Command(BaseCommand):
    help = (
        "List the workflows whose definition sends a literal Authorization or "
        "Proxy-Authorization header (names only, never the values): move each into a "
        "workspace credential (docs/credentials.md)."
    )

    def handle(self, *args, **options):
        count = 0
        for workflow, nodes in workflows_with_literal_secret_headers():
            count += 1
            self.stdout.write(
                f"workspace={workflow.workspace.slug} workflow={workflow.pk} "
                f"name={workflow.name!r} nodes={','.join(nodes)}"
            )
        self.stdout.write(f"{count} workflow(s) with literal secret headers.")
