"""The artifacts port: where runs leave their logs and reports, per release environment."""

from __future__ import annotations

from pathlib import Path

from kitchen import config
from kitchen.backends.artifacts.base import ArtifactStore


def connect(settings: config.Artifacts, root: Path, environment: str) -> ArtifactStore:
    if isinstance(settings, config.LocalArtifacts):
        from kitchen.backends.artifacts.local import LocalArtifactStore

        return LocalArtifactStore(root / settings.path, environment)
    from kitchen.backends.artifacts.s3 import S3ArtifactStore

    return S3ArtifactStore(settings, environment)
