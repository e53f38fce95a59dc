"""kitchen secrets: which secrets a kitchen sees and where each comes from; set its own."""

from __future__ import annotations

from dataclasses import dataclass

from kitchen import redaction
from kitchen.backends.secrets import check_key
from kitchen.errors import BadInput
from kitchen.model import Kitchen
from kitchen.project import Project

KITCHENS = "kitchens/"


@dataclass(frozen=True)
class Listing:
    kitchen: Kitchen
    location: str  # the store, for people (never a credential)
    secrets: list[tuple[str, str]]  # (key, "kitchen" or "environment"), names only


def list_secrets(project: Project, name: str | None) -> Listing:
    kitchen = project.current_or_named(name)
    store = project.secrets(kitchen.environment)
    own = f"{KITCHENS}{kitchen.name}/"
    keys = store.keys()
    mine = {key.removeprefix(own) for key in keys if key.startswith(own)}
    inherited = {key for key in keys if not key.startswith(KITCHENS)} - mine
    found = [(key, "kitchen") for key in mine] + [(key, "environment") for key in inherited]
    return Listing(kitchen, store.location, sorted(found))


def settable(project: Project, name: str, key: str) -> Kitchen:
    """The kitchen whose own ``key`` the caller may set, checked before a value is asked."""
    kitchen = project.kitchen(name)
    check_key(key)
    project.require_staff(kitchen, "set its secrets")
    return kitchen


def set_secret(project: Project, kitchen: Kitchen, key: str, value: str) -> None:
    """Write ``key`` to the kitchen's own path (never the environment's)."""
    if not value:
        raise BadInput("The secret's value is empty.", hint="Pipe it in or type it at the prompt.")
    if len(value) < redaction.SHORT:
        raise BadInput(
            f"The secret's value has fewer than {redaction.SHORT} characters: kitchen could "
            "scrub it from its output only where it stands alone, not inside other text.",
            hint=f"Use a value of at least {redaction.SHORT} characters.",
        )
    project.secrets(kitchen.environment).set(f"{KITCHENS}{kitchen.name}/{key}", value)
