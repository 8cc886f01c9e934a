from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from synapscale.choices import TokenScope
from synapscale.services.tokens import token_create


def _scopes(value: str) -> list[str]:
    return [scope.strip() for scope in value.split(",") if scope.strip()]


class Command(BaseCommand):
    help = (
        "Create a personal access token for a user and print it once (only its hash is kept). "
        f"Scopes: {', '.join(TokenScope.values)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="what the token is for (default: cli)")
        parser.add_argument(
            "--scopes",
            type=_scopes,
            default=[TokenScope.READ, TokenScope.WRITE],
            help="comma-separated (default: read,write)",
        )
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="default: never expires"
        )

    def handle(self, *args, username, name, scopes, expires_in_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            created = token_create(
                user=user, name=name, scopes=scopes, expires_in_days=expires_in_days
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        # The secret alone on stdout, so `$(manage.py create_api_token bob)` captures it.
        self.stdout.write(created.secret)
        self.stderr.write(
            f"Token {created.token.prefix}… ({', '.join(created.token.scopes)}) for {username}; "
            "it is not shown again."
        )
