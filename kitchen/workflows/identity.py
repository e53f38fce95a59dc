"""A warehouse login per kitchen (PostgreSQL, where `kitchen_roles` is on).

The role may use and create only in its kitchen's schema, and read the parent's schema where
`read_parent` allows. Its password lives on the kitchen's own secret path, and `kitchen run`
connects with it instead of kitchen's own account.
"""

from __future__ import annotations

from kitchen import redaction
from kitchen.backends.warehouse.base import Readable
from kitchen.errors import SecretsError
from kitchen.model import Kitchen
from kitchen.project import Project

USER, PASSWORD = "warehouse#user", "warehouse#password"


def enabled(project: Project, kitchen: Kitchen) -> bool:
    """Whether the kitchen has a login of its own: kitchens made by `kitchen create` where
    the environment asks for them. Root kitchens, made by init, use kitchen's own login."""
    return project.environment(kitchen.environment).warehouse.kitchen_roles and not kitchen.root


def readable(project: Project, kitchen: Kitchen) -> list[Readable]:
    """The parent's schema, where the config lets kitchen roles read it, and the tables its
    views show (views mode: they read with the reader's rights), those alone: a table the
    kitchen does not show (one ``data.exclude`` names) stays closed to its login."""
    settings = project.environment(kitchen.environment).warehouse
    if not settings.LOGINS:
        return []
    warehouse = project.warehouse(kitchen.environment)
    shown: dict[str, list[str]] = {}
    for link in warehouse.links(kitchen.schema):
        shown.setdefault(link.origin_schema, []).append(link.table)
    parent = project.kitchen(kitchen.parent) if kitchen.parent else None
    whole = (
        [parent.schema]
        if settings.read_parent and parent is not None and parent.environment == kitchen.environment
        else []
    )
    tables = [
        Readable(schema, tuple(sorted(names)))
        for schema, names in sorted(shown.items())
        if schema not in whole
    ]
    return [*(Readable(schema) for schema in whole), *tables]


def make(project: Project, kitchen: Kitchen) -> bool:
    """Create the kitchen's login, recorded as the kitchen's before it exists, and keep its
    credentials on the kitchen's own path. A role of that name that kitchen did not record
    for this kitchen is another's: refused, never taken over."""
    warehouse = project.warehouse(kitchen.environment)
    registry = project.registry(kitchen.environment)
    made = warehouse.create_identity(
        kitchen.schema,
        readable(project, kitchen),
        ours=recorded(project, kitchen),
        record=lambda role: registry.own("role", role, kitchen.name),
    )
    if made is None:
        return False
    user, password = made
    store = project.secrets(kitchen.environment)
    store.set(_own(kitchen, USER), user)
    store.set(_own(kitchen, PASSWORD), password)
    return True


def recorded(project: Project, kitchen: Kitchen) -> list[str]:
    """The login roles recorded as made for ``kitchen``."""
    owned = project.registry(kitchen.environment).owned()
    return [o.name for o in owned if o.kind == "role" and o.kitchen == kitchen.name]


def regrant(project: Project, kitchen: Kitchen) -> None:
    """After tables were replaced (a refresh), give the login its rights on the new ones."""
    if enabled(project, kitchen):
        warehouse = project.warehouse(kitchen.environment)
        for role in _roles(project, kitchen):
            warehouse.grant_identity(role, kitchen.schema, readable(project, kitchen))


def drop(project: Project, kitchen: Kitchen) -> None:
    if not enabled(project, kitchen):
        return
    warehouse = project.warehouse(kitchen.environment)
    registry = project.registry(kitchen.environment)
    for role in _roles(project, kitchen):
        warehouse.drop_identity(role)
        registry.disown("role", role)
    store = project.secrets(kitchen.environment)
    for key in (USER, PASSWORD):
        store.delete(_own(kitchen, key))


def _roles(project: Project, kitchen: Kitchen) -> list[str]:
    """The kitchen's login roles: those recorded for it, or for a kitchen made before
    logins were recorded, the one its login secret names (if that is still there)."""
    if found := recorded(project, kitchen):
        return found
    store = project.secrets(kitchen.environment)
    legacy = project.warehouse(kitchen.environment).identity_names(kitchen.schema)[1:]
    try:
        user = store.get(_own(kitchen, USER))
    except SecretsError:
        return []
    return [user] if user in legacy else []


def login(project: Project, kitchen: Kitchen) -> tuple[str, str] | None:
    """The kitchen's own login (user, password), which its pipelines' SQL, checks and tools
    run as; None where it has none (kitchen's own account is used)."""
    if not enabled(project, kitchen):
        return None
    store = project.secrets(kitchen.environment)
    user = store.get(_own(kitchen, USER))
    return user, redaction.remember(store.get(_own(kitchen, PASSWORD)))


def client_credentials(project: Project, kitchen: Kitchen) -> dict[str, str]:
    """PGUSER and PGPASSWORD of the kitchen's login, for tools run in the kitchen."""
    found = login(project, kitchen)
    return {"PGUSER": found[0], "PGPASSWORD": found[1]} if found else {}


def _own(kitchen: Kitchen, key: str) -> str:
    return f"kitchens/{kitchen.name}/{key}"
