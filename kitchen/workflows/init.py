"""kitchen init: a git repository, kitchen.yaml, and the root kitchens, provisioned.

Every step checks before it acts, so running init again changes nothing, and running it
after a half-finished init (or a lost schema) completes what is missing.
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from kitchen import config, demo, templates
from kitchen.backends.git import Git, user_email
from kitchen.backends.secrets import reference
from kitchen.backends.secrets.file import FileSecretStore
from kitchen.environments import identify
from kitchen.errors import GitError, SecretsError
from kitchen.files import make_folder
from kitchen.model import DataState, Kitchen, Status, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows.datacopy import copy_tables

GITIGNORE = ".gitignore"
IGNORED = ".kitchen/"
ENVIRONMENTS = ({"name": "production", "sensitive": True}, {"name": "dev", "sensitive": False})


@dataclass
class InitReport:
    root: Path
    changes: list[str] = field(default_factory=list)


DEMOS = {"shop": "demo", "dbt": "demo_dbt"}  # flavour of the demo shop: its template folder


def init(directory: Path, demo: str | None, report: Reporter, with_data: bool = True) -> InitReport:
    """Set up a kitchen project in ``directory``; ``demo``: with the demo shop, its
    pipeline in that flavour (see ``DEMOS``)."""
    directory = directory.resolve()
    _refuse_nested(directory)
    creator = identify(user_email(directory))  # first: nothing is made for nobody
    result = InitReport(directory)
    make_folder(directory, "the project folder")
    if not (directory / ".git").exists():
        result.changes.append("created a git repository")
    git = Git.init(directory, initial_branch="main")
    fresh = not git.has_commits()  # nobody's work is checked out yet
    config_path = directory / config.CONFIG_FILE
    if not config_path.exists():
        config_path.write_text(_render_config(directory, git, bool(demo)), encoding="utf-8")
        result.changes.append(f"wrote {config.CONFIG_FILE}")
    project = Project(directory, config.load(config_path))
    project.git = git
    try:
        result.changes += _set_up(project, creator, demo, fresh, report, with_data=with_data)
    finally:
        project.close()
    return result


def _set_up(
    project: Project,
    creator: str,
    demo: str | None,
    fresh: bool,
    report: Reporter,
    *,
    with_data: bool = True,
) -> list[str]:
    changes = _ignore_local_state(project)
    changes += _create_secret_files(project)
    if demo:
        changes += _install_demo_pipelines(project, DEMOS[demo])
    changes += _commit_setup(project)
    roots = _roots_parents_first(project)
    for kitchen in roots:
        changes += _provision_root(project, kitchen, creator, report)
    if fresh and len(roots) > 1:
        # developers start from the integration kitchen (dev), not from production
        project.git.checkout(roots[1].branch)
        changes.append(f"checked out {roots[1].branch} (kitchen {roots[1].name})")
    if demo:
        changes += _load_demo(project, report)
    if with_data:
        changes += _fill_roots(project, report)
    return changes


def _refuse_nested(directory: Path) -> None:
    """kitchen.yaml belongs at a repository's root, not in a folder inside one."""
    for folder in directory.parents:
        if (folder / ".git").exists():
            if not (directory / ".git").exists():
                raise GitError(
                    f"{directory} is inside the git repository {folder}.",
                    hint=f"kitchen.yaml belongs at a repository root: `kitchen init {folder}`.",
                )
            return


def _render_config(directory: Path, git: Git, with_demo: bool) -> str:
    project = re.sub(r"[^a-z0-9]+", "-", directory.name.lower()).strip("-") or "analytics"
    branch = git.current_branch() or "main"
    return templates.render(
        "kitchen.yaml.j2",
        project=project,
        production_branch=branch,
        environments=ENVIRONMENTS,
        demo=with_demo,
    )


def _ignore_local_state(project: Project) -> list[str]:
    entries = [IGNORED]
    for environment in project.config.environments.values():
        secrets = environment.secrets
        if isinstance(secrets, config.FileSecrets) and not secrets.path.startswith(IGNORED):
            entries.append(secrets.path)
    path = project.root / GITIGNORE
    existing = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [entry for entry in entries if entry not in existing]
    if not missing:
        return []
    block = templates.text("gitignore") if IGNORED in missing else ""
    block += "".join(f"{entry}\n" for entry in missing if entry != IGNORED)
    separator = "\n" if existing else ""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(separator + block)
    return [f"added {', '.join(missing)} to {GITIGNORE}"]


def _create_secret_files(project: Project, only: str | None = None) -> list[str]:
    """Each environment's secrets file (or ``only`` that one's), with a masking salt of its
    own."""
    changes = []
    salt = project.config.data.masking.salt
    salt_key = reference(salt) if salt else None
    for name, environment in project.config.environments.items():
        settings = environment.secrets
        if only not in (None, name):
            continue
        if not isinstance(settings, config.FileSecrets):
            continue
        store = FileSecretStore(project.local / settings.path, name)
        if store.create():
            changes.append(f"created the {name} secrets file {settings.path} (mode 0600)")
        if salt_key and not _has(store, salt_key):
            store.set(salt_key, secrets.token_urlsafe(32))
            changes.append(f"generated the {name} masking salt ({salt_key})")
    return changes


def _has(store: FileSecretStore, key: str) -> bool:
    try:
        store.get(key)
    except SecretsError:
        return False
    return True


def _install_demo_pipelines(project: Project, folder: str) -> list[str]:
    """The demo shop's pipeline (of the template ``folder``), unless the project has one of
    that name already."""
    changes = []
    for source in sorted((templates.folder() / folder / "pipelines").iterdir()):
        target = project.root / project.config.pipelines / source.name
        if not target.exists():
            shutil.copytree(source, target)
            changes.append(f"added the demo pipeline {project.config.pipelines}/{source.name}")
    return changes


def _commit_setup(project: Project) -> list[str]:
    """Commit kitchen.yaml, .gitignore (and pipelines) on the top branch, so every kitchen
    branch has them."""
    git = project.git
    top = next(k for k in project.config.kitchens.values() if k.parent is None)
    if git.has_commits() and git.current_branch() != top.branch:
        return []
    paths = [config.CONFIG_FILE, GITIGNORE]
    if (project.root / project.config.pipelines).is_dir():
        paths.append(project.config.pipelines)
    if git.commit_paths(paths, "kitchen: set up the kitchen tree"):
        return [f"committed {', '.join(paths)}"]
    return []


def _roots_parents_first(project: Project) -> list[Kitchen]:
    ordered: list[str] = []
    declared = project.config.kitchens
    while len(ordered) < len(declared):
        for name, kitchen in declared.items():
            if name not in ordered and (kitchen.parent is None or kitchen.parent in ordered):
                ordered.append(name)
    return [project.root_kitchen(name) for name in ordered]


def set_up_root(project: Project, kitchen: Kitchen, report: Reporter) -> str:
    """What `kitchen init` does for one root kitchen (for `kitchen doctor --repair`)."""
    changes = _create_secret_files(project, kitchen.environment)
    changes += _provision_root(project, kitchen, project.user, report)
    return "; ".join(changes) or "nothing was missing"


def _provision_root(
    project: Project, kitchen: Kitchen, creator: str, report: Reporter
) -> list[str]:
    changes = []
    git = project.git
    if not git.branch_exists(kitchen.branch):
        report.step(f"Branch {kitchen.branch} for kitchen {kitchen.name}")
        changes.append(_root_branch(project, kitchen))
    warehouse = project.warehouse(kitchen.environment)
    if not warehouse.schema_exists(kitchen.schema):
        warehouse.create_schema(kitchen.schema)
        changes.append(f"created schema {kitchen.schema} in the {kitchen.environment} warehouse")
    registry = project.registry(kitchen.environment)
    recorded = registry.get(kitchen.name)
    if recorded is None:
        kitchen.status = Status.READY
        kitchen.created_by = creator
        kitchen.created_at = utcnow()
        registry.add(kitchen)
        changes.append(f"registered kitchen {kitchen.name}")
    elif recorded.status != Status.READY:
        registry.set_status(kitchen.name, Status.READY)
        changes.append(f"marked kitchen {kitchen.name} ready")
    return changes


def _root_branch(project: Project, kitchen: Kitchen) -> str:
    """A missing root branch: from the remote when it is there (a clone has only the branch
    it checked out), else from its parent's branch (the top one from HEAD)."""
    git = project.git
    configured = project.sync(kitchen.branch)  # fetched, and made from the remote's
    remotes = [configured] if configured else git.remotes()
    for remote in remotes:
        if git.tracking(remote, kitchen.branch) is not None:
            if not git.branch_exists(kitchen.branch):
                git.create_branch(kitchen.branch, f"refs/remotes/{remote}/{kitchen.branch}")
            return f"created branch {kitchen.branch} for kitchen {kitchen.name} from {remote}"
    start = project.root_kitchen(kitchen.parent).branch if kitchen.parent else "HEAD"
    git.create_branch(kitchen.branch, start)
    return f"created branch {kitchen.branch} for kitchen {kitchen.name}"


def _load_demo(project: Project, report: Reporter) -> list[str]:
    """Load the demo shop into the top root kitchen (the others are filled from it)."""
    top = _roots_parents_first(project)[0]
    warehouse = project.warehouse(top.environment)
    if warehouse.list_tables(top.schema):
        return []
    report.step(f"Loading the demo shop into {top.name}")
    rows = demo.load(warehouse, top.schema)
    state = DataState(None, False, len(demo.TABLES), rows, utcnow())
    project.registry(top.environment).set_data(top.name, state)
    return [f"loaded the demo shop ({rows:,} rows) into {top.name}"]


def _fill_roots(project: Project, report: Reporter) -> list[str]:
    """Each empty root kitchen below one with tables (a warehouse the team already had)
    gets its parent's data, masked and through the PII gate as any copy."""
    changes = []
    for kitchen in _roots_parents_first(project)[1:]:
        parent = project.kitchen(kitchen.parent or "")
        found = project.warehouse(parent.environment).list_tables(parent.schema)
        warehouse = project.warehouse(kitchen.environment)
        if not found or warehouse.list_tables(kitchen.schema):
            continue
        if parent.data is None:
            changes.append(f"found {len(found)} existing tables in {parent.name}")
        try:
            state = copy_tables(project, parent, kitchen, report)
        except BaseException:  # the schema was empty: it is again, and init can run again
            warehouse.drop_schema(kitchen.schema)
            warehouse.create_schema(kitchen.schema)
            raise
        project.registry(kitchen.environment).set_data(kitchen.name, state)
        changes.append(f"copied {state.rows:,} rows from {parent.name} into {kitchen.name}")
    return changes
