"""Cache warming: apps register warmers; a command and periodic tasks run them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from synapscale.cache.policies import CachePolicy

logger = logging.getLogger("synapscale.cache")


@dataclass(frozen=True)
class Warmer:
    name: str
    policy: CachePolicy
    warm: Callable  # warm(workspace) recomputes that workspace's entries
    workspaces: Callable | None  # () -> iterable of workspaces worth warming


@dataclass(frozen=True)
class WarmOutcome:
    warmer: str
    workspace: str
    ok: bool
    error: str = ""


_registry: dict[str, Warmer] = {}


def register_warmer(
    name: str, *, policy: CachePolicy, warm: Callable, workspaces: Callable | None = None
) -> None:
    """Register ``warm(workspace)`` under ``name``; ``workspaces()`` picks whom to warm.

    Without ``workspaces`` every workspace is warmed. Registering a name again replaces it,
    so an app's ``ready()`` may run more than once.
    """
    _registry[name] = Warmer(name=name, policy=policy, warm=warm, workspaces=workspaces)


def registered_warmers(policy_name: str | None = None) -> list[Warmer]:
    """Return the registered warmers, optionally only those of one policy."""
    return [w for w in _registry.values() if policy_name in (None, w.policy.name)]


def warm_caches(*, policy_name: str | None = None) -> int:
    """Run the warmers of ``policy_name`` (or all); return how many workspace warmings worked."""
    return sum(outcome.ok for outcome in run_warmers(policy_name=policy_name))


def run_warmers(*, policy_name: str | None = None, workspace=None) -> list[WarmOutcome]:
    """Run the warmers (of one policy, for one workspace, or all); one failure stops none."""
    from synapscale.models import Workspace

    outcomes = []
    for warmer in registered_warmers(policy_name):
        if workspace is not None:
            targets = [workspace]
        elif warmer.workspaces is not None:
            targets = list(warmer.workspaces())
        else:
            targets = list(Workspace.objects.all())
        for target in targets:
            try:
                warmer.warm(target)
            except Exception as exc:
                # One broken warmer or workspace must not keep the others cold.
                logger.exception(
                    "cache_warm_failed warmer=%s workspace=%s", warmer.name, target.slug
                )
                outcomes.append(WarmOutcome(warmer.name, target.slug, False, str(exc)))
            else:
                outcomes.append(WarmOutcome(warmer.name, target.slug, True))
    return outcomes
