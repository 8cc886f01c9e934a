from django.core.management.base import BaseCommand, CommandError

from synapscale.cache import POLICIES, run_warmers
from synapscale.models import Workspace


class Command(BaseCommand):
    help = "Run the registered cache warmers now (all, or one policy / one workspace)."

    def add_arguments(self, parser):
        parser.add_argument("--policy", choices=sorted(POLICIES), help="only this policy")
        parser.add_argument("--workspace", help="only this workspace (its slug)")

    def handle(self, *args, policy=None, workspace=None, **options):
        target = None
        if workspace:
            target = Workspace.objects.filter(slug=workspace).first()
            if target is None:
                raise CommandError(f"No workspace with slug {workspace!r}.")
        outcomes = run_warmers(policy_name=policy, workspace=target)
        for outcome in outcomes:
            state = "ok" if outcome.ok else f"FAILED: {outcome.error}"
            self.stdout.write(f"{outcome.warmer} [{outcome.workspace}] {state}")
        failed = sum(not outcome.ok for outcome in outcomes)
        self.stdout.write(f"warmed {len(outcomes) - failed}, failed {failed}")
        if failed:
            raise CommandError(f"{failed} warming(s) failed")
