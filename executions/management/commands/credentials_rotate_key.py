from django.core.management.base import BaseCommand, CommandError

from executions.services.credentials import credentials_reencrypt
from synapscale.encryption import DecryptionFailed, generate_key


class Command(BaseCommand):
    help = (
        "Re-encrypt every workflow credential with the first key of "
        "CREDENTIALS_ENCRYPTION_KEYS (after putting a new key first); then the old keys can "
        "be removed. --generate-key prints a new key and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate-key", action="store_true", help="Print a new Fernet key and exit."
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        if options["generate_key"]:
            self.stdout.write(generate_key())
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            count = credentials_reencrypt(batch_size=options["batch_size"])
        except DecryptionFailed as exc:
            raise CommandError(
                f"{exc} Put the key the credentials were encrypted with back into "
                "CREDENTIALS_ENCRYPTION_KEYS (after the new one); nothing of the failing "
                "batch was changed."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} credential(s)."))
