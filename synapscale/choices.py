from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


WRITE_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})
MANAGE_ROLES = frozenset({Role.OWNER, Role.ADMIN})


class TokenScope(models.TextChoices):
    """What a personal access token may do (README, Authentication, says exactly what)."""

    READ = "read", "Read"
    WRITE = "write", "Write"
    INGEST = "ingest", "Ingest events"
    ADMIN = "admin", "Workspace administration"


# A scope that carries another: a write or an admin token may also read.
SCOPES_IMPLIED = {
    TokenScope.READ: frozenset({TokenScope.READ}),
    TokenScope.WRITE: frozenset({TokenScope.READ, TokenScope.WRITE}),
    TokenScope.INGEST: frozenset({TokenScope.INGEST}),
    TokenScope.ADMIN: frozenset({TokenScope.READ, TokenScope.ADMIN}),
}
