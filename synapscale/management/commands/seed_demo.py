from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from synapscale.demo import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    seed_accounts,
    seed_apps,
)
from synapscale.services.audit import audited_command


class Command(BaseCommand):
    help = "Load demo data (idempotent): a demo user, a staff user, a workspace and app data."

    def handle(self, *args, **options):
        if not settings.SEED_DEMO_ALLOWED:
            raise CommandError(
                "seed_demo creates accounts with published passwords and refuses to run here "
                "(set SEED_DEMO_ALLOWED=true only on a development or demo instance)."
            )
        with audited_command("seed_demo"):
            accounts = seed_accounts()
            seeded = seed_apps(accounts, self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  demo user:  {DEMO_USERNAME} / {DEMO_PASSWORD}")
        if accounts.token:
            self.stdout.write(f"  API token:  {accounts.token}  (shown once)")
        else:
            self.stdout.write(
                "  API token:  made by an earlier run; `manage.py create_api_token "
                f"{DEMO_USERNAME} --scopes read,write` makes another"
            )
        self.stdout.write(f"  staff user: {STAFF_USERNAME} / {STAFF_PASSWORD}  (admin at /admin/)")
        self.stdout.write(f"  workspace:  {accounts.workspace.slug}  (X-Workspace header)")
        if seeded:
            self.stdout.write(f"  app data:   {', '.join(seeded)}")
