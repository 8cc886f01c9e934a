"""Semantic versions (https://semver.org) of templates: parse, validate and order them."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The regular expression recommended by semver.org, without build metadata's effect on order.
# ASCII only (\d would accept "٣") and matched with fullmatch ($ would accept a trailing "\n").
SEMVER_PATTERN = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_SEMVER_RE = re.compile(SEMVER_PATTERN, re.ASCII)
MAX_VERSION_LENGTH = 64


@dataclass(frozen=True)
class SemanticVersion:
    """A parsed version; compare with `precedence_key()`, as build metadata does not count."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    def precedence_key(self) -> tuple:
        """Return a key that sorts versions by semver precedence (1.0.0-rc.1 < 1.0.0)."""
        # A release sorts after all of its pre-releases; numeric identifiers sort before
        # alphanumeric ones and compare as numbers.
        identifiers = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.prerelease
        )
        return (self.major, self.minor, self.patch, not self.prerelease, identifiers)


def parse_version(value: str) -> SemanticVersion:
    """Parse `value` as a semantic version such as `1.4.0` or `2.0.0-beta.1`.

    Raise ValueError with a readable message when it is not one.
    """
    if not isinstance(value, str) or len(value) > MAX_VERSION_LENGTH:
        raise ValueError(f"Enter a semantic version such as 1.0.0 (at most {MAX_VERSION_LENGTH}).")
    match = _SEMVER_RE.fullmatch(value)
    if match is None:
        raise ValueError(f"'{value}' is not a semantic version such as 1.0.0 or 2.1.0-beta.1.")
    prerelease = match.group("prerelease")
    return SemanticVersion(
        major=int(match.group("major")),
        minor=int(match.group("minor")),
        patch=int(match.group("patch")),
        prerelease=tuple(prerelease.split(".")) if prerelease else (),
        build=match.group("build") or "",
    )


def is_newer(candidate: str, current: str) -> bool:
    """Tell whether version `candidate` has higher precedence than `current`."""
    return parse_version(candidate).precedence_key() > parse_version(current).precedence_key()
