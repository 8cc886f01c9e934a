from django.core.management.base import BaseCommand

from synapscale.schedules import schedules_sync


class Command(BaseCommand):
    help = "Write the periodic schedule declared in code into django-celery-beat (idempotent)."

    def handle(self, *args, **options):
        result = schedules_sync()
        self.stdout.write(
            f"schedules synced: {result.created} created, {result.updated} updated, "
            f"{result.removed} removed"
        )
