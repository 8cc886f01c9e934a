"""Cache warming of the marketplace: the home page is recomputed before it expires."""

from __future__ import annotations

from synapscale.cache import Policy, register_warmer


def warm_marketplace_home(workspace) -> None:
    """Recompute the cached home page (global: the workspace only schedules the run)."""
    from templates_app.api.marketplace import marketplace_home_read

    marketplace_home_read(refresh=True)


def _one_workspace():
    # The marketplace is the same for everyone: one run per warming round is enough.
    from synapscale.models import Workspace

    return Workspace.objects.order_by("pk")[:1]


def register_marketplace_warmers() -> None:
    """Register the marketplace's warmers (called from the AppConfig's ready())."""
    register_warmer(
        "templates.marketplace_home",
        policy=Policy.BUSINESS,
        warm=warm_marketplace_home,
        workspaces=_one_workspace,
    )
