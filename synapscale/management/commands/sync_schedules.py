from django.core.management.base import BaseCommand

from synapscale.schedules import schedules_sync
from synapscale.services.audit import audited_command


class Command(BaseCommand):
    help = "Write the periodic schedule declared in code into django-celery-beat (idempotent)."

    def handle(self, *args, **options):
        with audited_command("sync_schedules"):
            result = schedules_sync()
        self.stdout.write(
            f"schedules synced: {result.created} created, {result.updated} updated, "
            f"{result.removed} removed"
        )
