"""Reading a YAML document kitchen is given (kitchen.yaml, a pipeline.yaml) safely, and
saying what is wrong with it: size, depth and value limits, duplicate keys refused, and
pydantic's validation errors as one line per key with its line in the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kitchen.errors import ConfigError
from kitchen.text import counted

MAX_PROBLEMS = 5  # listed in one error; the rest are counted


SECRET_KEY = re.compile(r"password|dsn|salt|secret|token|credential", re.IGNORECASE)


# Bounds on what kitchen reads as YAML (kitchen.yaml, pipeline files): far above any real
# project's, far below what would take minutes or all memory to read.
MAX_CHARACTERS = 512_000  # read in about 2 s (libyaml)


MAX_DEPTH = 64  # nested mappings and lists


MAX_VALUES = 100_000  # values once aliases are expanded


# libyaml's reader where PyYAML was built with it: 4 times as fast as the pure-Python one
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """YAML 1.2's booleans: only true and false. YAML 1.1 also reads on, off, yes, no, y
    and n as booleans, which made the documented `on: [failed]` a key `true`. Where a
    setting wants a boolean, pydantic still reads yes, no, on and off."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str, source: Path) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data; a syntax error names the
    file, line and column. A document past the bounds above is refused before it is read
    as a whole."""
    marker = re.search(r"^<<<<<<< ", text, re.MULTILINE)
    if marker is not None:  # what an update's merge leaves: kitchen cannot read its config
        line = text.count("\n", 0, marker.start()) + 1
        raise ConfigError(
            f"{source}:{line}: a merge left git's conflict markers in it.",
            hint="Resolve the conflict and `git add` the file, then `kitchen update --continue`;"
            " or `git merge --abort` to leave everything as it was.",
        )
    if len(text) > MAX_CHARACTERS:
        raise ConfigError(
            f"{source}: {len(text):,} characters, more than kitchen reads ({MAX_CHARACTERS:,}).",
            hint="A project's settings fit in far less: split pipelines into files of their own.",
        )
    try:
        _check_depth(text, source)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            _refuse_duplicate_keys(node, source)
            _count_values(node, source)
            return node, None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except RecursionError:  # aliases within aliases, each within the bounds
        raise ConfigError(
            f"{source}: its aliases nest more than kitchen reads.",
            hint="Write the values out, or use fewer nested aliases.",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else str(source)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{where}: invalid YAML: {problem}.", hint="Fix the YAML syntax at that position."
        ) from None


def _check_depth(text: str, source: Path) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` from the tokens, before anything recursive
    reads them (PyYAML's composer recursed to a RecursionError at 20,000 levels)."""
    opening = (
        yaml.BlockMappingStartToken,
        yaml.BlockSequenceStartToken,
        yaml.FlowMappingStartToken,
        yaml.FlowSequenceStartToken,
    )
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = 0
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, opening):
            depth += 1
            if depth > MAX_DEPTH:
                line = token.start_mark.line + 1
                raise ConfigError(
                    f"{source}:{line}: nested more than {MAX_DEPTH} levels deep.",
                    hint="kitchen's settings nest a few levels: this is not a kitchen file.",
                )
        elif isinstance(token, closing):
            depth -= 1


def _count_values(node: yaml.Node | None, source: Path) -> None:
    """Refuse a document whose aliases expand past ``MAX_VALUES`` values (a billion laughs
    is 9 lines), or refer to a node that holds them."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, path: tuple[int, ...]) -> int:
        if id(node) in path:
            raise ConfigError(f"{source}: an alias refers to a node that holds it.")
        if id(node) not in sizes:
            inner = (*path, id(node))
            if isinstance(node, yaml.MappingNode):
                found = sum(size(k, inner) + size(v, inner) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                found = sum(size(item, inner) for item in node.value)
            else:
                found = 0
            sizes[id(node)] = 1 + found
            if sizes[id(node)] > MAX_VALUES:
                raise ConfigError(
                    f"{source}: more than {MAX_VALUES:,} values, its aliases expanded.",
                    hint="A project's settings hold far fewer; where aliases repeat values "
                    "within values, write them out.",
                )
        return sizes[id(node)]

    if node is not None:
        size(node, ())


def _refuse_duplicate_keys(
    node: yaml.Node | None, source: Path, visited: set[int] | None = None
) -> None:
    """YAML lets a later key silently replace an earlier one; a config must not. Each node
    is visited once: aliases share nodes, and a billion laughs must not take a billion steps."""
    visited = set() if visited is None else visited
    if node is None or id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[object] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    raise ConfigError(
                        f"{source}:{key.start_mark.line + 1}: {key.value}: given twice.",
                        hint="Keep one of them; YAML would silently drop the first.",
                    )
                keys.add(key.value)
            _refuse_duplicate_keys(value, source, visited)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, source, visited)


Problem = tuple[list[int | str], str]


def describe(problems: list[Problem], source: Path, node: yaml.Node | None) -> str:
    """``file:line: key.path: what was expected``, one line per problem."""
    lines = []
    for loc, expected in problems[:MAX_PROBLEMS]:
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = _line_of(node, loc)
        lines.append(
            f"{source}:{line}: {key}: {expected}" if line else f"{source}: {key}: {expected}"
        )
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {counted(len(problems) - MAX_PROBLEMS, 'more problem')}")
    return "\n".join(lines)


def validation_problems(exc: ValidationError, node: yaml.Node | None) -> list[Problem]:
    """pydantic's errors as (key path in the YAML, what was expected), a line per key: a
    value no member of a union takes reads "Input should be a valid string or a valid
    dictionary (got a list)", not a line per member."""
    merged: dict[tuple[int | str, ...], list[str]] = {}
    for index, error in enumerate(exc.errors()):
        # past what is shown, only counted: finding each key in the tree took minutes
        loc = list(error["loc"])
        loc = strip_union_tags(loc, node) if index < 10 * MAX_PROBLEMS else loc
        merged.setdefault(tuple(loc), []).append(expected(error))
    lines: list[Problem] = []
    for key, messages in merged.items():
        first, *others = dict.fromkeys(messages)  # in order, without repeats
        for other in others:
            got = re.search(r" \(got .*\)$", first)
            first = first.removesuffix(got.group()) if got else first
            first += " or " + other.removeprefix("Input should be ")
        lines.append((list(key), first))
    return lines


def hint(unknown_keys: bool) -> str:
    if unknown_keys:
        return "Remove or correct the unknown keys; kitchen.example.yaml documents every key."
    return "See kitchen.example.yaml for a complete, commented example."


def strip_union_tags(loc: list[int | str], node: yaml.Node | None) -> list[int | str]:
    """pydantic adds the chosen union member ("duckdb", "function-after[...]") to locations;
    such a part is dropped where the YAML has no key of that name at that point."""
    kept: list[int | str] = []
    for part in loc:
        keys = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
        if isinstance(part, str) and part not in keys and ("[" in part or part in _TAGS):
            continue
        kept.append(part)
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = keys.get(part) if isinstance(part, str) else None
    return kept


_TAGS = {
    "duckdb",
    "postgres",
    "spark",
    "file",
    "vault",
    "local",
    "s3",
    "str",
    "int",
    "float",
    "bool",
    "date",
    "datetime",
    "dict[str,any]",
    "row_count",
    "not_null",
    "unique",
    "accepted_values",
    "relationships",
    "sql",
    "freshness",
    "schema",
    "spc",
}


def expected(error: Any) -> str:
    """What a pydantic error says was expected, in the words of a config file."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        ctx = error["ctx"]
        return f"type must be one of {ctx['expected_tags']} (got {ctx['tag']!r})"
    if kind == "union_tag_not_found":
        return "a 'type:' key is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    # a password written as a number is still a password: its value is never shown
    secret = any(isinstance(part, str) and SECRET_KEY.search(part) for part in error["loc"])
    shown = None if secret or kind == "value_error" else _shown(error.get("input"))
    return f"{message} (got {shown})" if shown else message


def _shown(value: Any) -> str | None:
    """A value as an error shows it: a scalar as written, a list or mapping by its kind."""
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return repr(value) if isinstance(value, str | int | float | bool) else None


def _line_of(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """The 1-based line of the deepest existing node along ``loc``."""
    line = None
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        found = next(((k, v) for k, v in node.value if k.value == part), None)
        if found is None:
            break
        key, node = found
        line = key.start_mark.line + 1
    return line
