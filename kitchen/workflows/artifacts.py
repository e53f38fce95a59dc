"""A run's reports and logs in the environment's artifact store, never lost on the way.

Artifacts go under ``kitchens/<kitchen>/runs/<run-id>/``. When the store cannot take them,
they wait in ``.kitchen/pending-artifacts/<environment>/`` and ``kitchen artifacts --retry``
uploads them later.
"""

from __future__ import annotations

from pathlib import Path

from kitchen.errors import BadInput, KitchenError
from kitchen.files import make_folder
from kitchen.model import Kitchen
from kitchen.names import did_you_mean
from kitchen.project import Project
from kitchen.reporting import Reporter

PENDING = Path(".kitchen") / "pending-artifacts"


def run_prefix(kitchen: str, run_id: str | None = None) -> str:
    return f"kitchens/{kitchen}/runs/" + (f"{run_id}/" if run_id else "")


def publish(
    project: Project, kitchen: Kitchen, run_id: str, files: dict[str, bytes], report: Reporter
) -> bool:
    """Upload ``files`` (name: content); on failure keep them for ``retry``. True if uploaded."""
    prefix = run_prefix(kitchen.name, run_id)
    try:
        store = project.artifacts(kitchen.environment)
        for name, content in files.items():
            store.put(prefix + name, content)
    except KitchenError as exc:
        waiting = project.local / PENDING / kitchen.environment
        for name, content in files.items():
            path = waiting / prefix / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        report.warn(
            f"The artifacts of run {run_id} were not uploaded ({exc.message}); the run is "
            f"recorded, and they wait in {waiting.relative_to(project.root)} for "
            "`kitchen artifacts --retry`."
        )
        return False
    return True


def retry(project: Project) -> dict[str, int]:
    """Upload every waiting artifact; how many went to each environment's store."""
    uploaded: dict[str, int] = {}
    for environment in project.config.environments:
        waiting = project.local / PENDING / environment
        files = sorted(path for path in waiting.rglob("*") if path.is_file())
        if not files:
            continue
        store = project.artifacts(environment)
        for path in files:
            store.put(path.relative_to(waiting).as_posix(), path.read_bytes())
            path.unlink()  # only once it is safely in the store
        uploaded[environment] = len(files)
    return uploaded


def pending(project: Project) -> int:
    return sum(1 for path in (project.local / PENDING).rglob("*") if path.is_file())


def listing(project: Project, kitchen: Kitchen, run_id: str | None) -> list[str]:
    """The artifacts' keys, newest run first (as `kitchen runs` lists them), each run's in
    name order; a run the registry does not know (its record gone) comes last."""
    keys = project.artifacts(kitchen.environment).list(run_prefix(kitchen.name, run_id))
    runs = project.registry(kitchen.environment).runs(kitchen.name)
    order = {run.id: place for place, run in enumerate(runs)}
    prefix = run_prefix(kitchen.name)

    def newest_first(key: str) -> tuple[int, str]:
        run = key.removeprefix(prefix).split("/", 1)[0]
        return order.get(run, len(order)), key

    return sorted(keys, key=newest_first)


def require_run(project: Project, kitchen: Kitchen, run_id: str) -> None:
    """Refuse a run the kitchen's registry does not know, with the nearest ids."""
    registry = project.registry(kitchen.environment)
    if not any(run.id == run_id for run in registry.each_run(kitchen.name)):
        runs = [run.id for run in registry.runs(kitchen.name)]
        raise BadInput(
            f"No run {run_id!r} of {kitchen.name}.{did_you_mean(run_id, runs)}",
            hint=f"`kitchen runs {kitchen.name}` lists them.",
        )


def download(project: Project, kitchen: Kitchen, run_id: str, folder: Path) -> list[Path]:
    """The run's artifacts written under ``folder``; none in the store is an error."""
    store = project.artifacts(kitchen.environment)
    prefix = run_prefix(kitchen.name, run_id)
    written = []
    for key in store.list(prefix):
        target = folder / key.removeprefix(prefix)
        make_folder(target.parent, "the download folder")
        target.write_bytes(store.get(key))
        written.append(target)
    if not written:
        raise BadInput(
            f"No artifacts of run {run_id} of {kitchen.name} in the store.",
            hint="If its upload waited for an unreachable store: `kitchen artifacts --retry`.",
        )
    return written
