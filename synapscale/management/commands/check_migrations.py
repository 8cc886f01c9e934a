"""`manage.py check_migrations`: every migration reversible, none locking a big table unsaid."""

from django.core.management.base import BaseCommand, CommandError

from synapscale.migration_safety import project_findings


class Command(BaseCommand):
    help = (
        "Fail when a migration cannot be reversed, or locks a big table (events, executions, "
        "node runs, logs), without saying why (synapscale/migration_safety.py)."
    )

    def handle(self, *args, **options):
        findings = project_findings()
        for finding in findings:
            self.stderr.write(str(finding))
        if findings:
            raise CommandError(f"{len(findings)} migration finding(s); see docs/migrations.md")
        self.stdout.write("migrations: all reversible, no unreviewed lock on a big table")
