"""Checks of kitchen.yaml across its sections, once each section is valid: every kitchen's
environment and parent declared, no parent cycle, and each environment's registry in a
store that can hold it and that no other environment's registry shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kitchen.yamlfile import Problem

if TYPE_CHECKING:
    from kitchen.config import Config


def across(config: Config) -> list[Problem]:
    """Checks across sections: environments exist, parents exist, no parent cycle."""
    if not config.kitchens:
        return [(["kitchens"], "declare at least one root kitchen")]
    problems: list[Problem] = _registries_held(config) + _shared_registries(config)
    known = ", ".join(sorted(config.environments)) or "none"
    for name, kitchen in config.kitchens.items():
        if kitchen.environment not in config.environments:
            problems.append(
                (
                    ["kitchens", name, "environment"],
                    f"unknown environment {kitchen.environment!r} (declared: {known})",
                )
            )
        if kitchen.parent is not None and kitchen.parent not in config.kitchens:
            problems.append((["kitchens", name, "parent"], f"unknown kitchen {kitchen.parent!r}"))
        elif (cycle := _cycle_from(config, name)) is not None:
            problems.append((["kitchens", name, "parent"], f"parent cycle {cycle}"))
    return problems


def _registries_held(config: Config) -> list[Problem]:
    """An engine without enforced keys and transactions cannot hold the registry (two
    merges would both take the lock): such an environment names a store of its own."""
    problems: list[Problem] = []
    for name, environment in config.environments.items():
        store, key = environment.registry or environment.warehouse, "registry"
        if environment.registry is None:
            key = "warehouse"
        if not store.HOLDS_REGISTRY:
            problems.append(
                (
                    ["environments", name, key],
                    f"{store.type} enforces neither keys nor transactions, so it cannot hold "
                    "kitchen's registry: keep it in a store of its own, registry: {type: "
                    "postgres, ...} or {type: duckdb, path: ...}",
                )
            )
    return problems


def _shared_registries(config: Config) -> list[Problem]:
    """Each environment's registry in a store of its own: two in one would read each
    other's kitchens, locks and operations as theirs."""
    problems: list[Problem] = []
    held: dict[str, str] = {}  # a store's settings: the environment whose registry is there
    for name, environment in config.environments.items():
        store = (environment.registry or environment.warehouse).model_dump_json()
        if store in held:
            key = "registry" if environment.registry else "warehouse"
            problems.append(
                (
                    ["environments", name, key],
                    f"the registry of environment {held[store]!r} is kept there already; "
                    "give this environment a registry store of its own",
                )
            )
        held.setdefault(store, name)
    return problems


def _cycle_from(config: Config, start: str) -> str | None:
    seen = [start]
    parent = config.kitchens[start].parent
    while parent is not None and parent in config.kitchens:
        if parent in seen:
            return " -> ".join([*seen, parent])
        seen.append(parent)
        parent = config.kitchens[parent].parent
    return None
