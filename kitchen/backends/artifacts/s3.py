"""Artifacts in S3 or any S3-compatible store (boto3). Credentials: the standard AWS chain."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from kitchen import config
from kitchen.errors import ArtifactsError, NotAllowed, Unreachable


class S3ArtifactStore:
    def __init__(self, settings: config.S3Artifacts, environment: str) -> None:
        self.settings = settings
        self.environment = environment
        self.prefix = settings.prefix.strip("/")
        self._client: Any = None

    @property
    def location(self) -> str:
        where = f" at {self.settings.endpoint_url}" if self.settings.endpoint_url else ""
        return f"s3://{self.settings.bucket}/{self.prefix}{where}"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "s3",
                endpoint_url=self.settings.endpoint_url,
                region_name=self.settings.region,
                config=BotoConfig(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
            )
        return self._client

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ArtifactsError(f"Artifact key {key!r} must be a relative path without '..'.")
        return f"{self.prefix}/{key}" if self.prefix else key

    def url(self, key: str) -> str:
        return f"s3://{self.settings.bucket}/{self._key(key)}"

    def put(self, key: str, data: bytes) -> None:
        with self._mapped(key):
            self.client.put_object(Bucket=self.settings.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        with self._mapped(key):
            answer = self.client.get_object(Bucket=self.settings.bucket, Key=self._key(key))
            return bytes(answer["Body"].read())

    def list(self, prefix: str = "") -> list[str]:
        keys = []
        strip = len(self.prefix) + 1 if self.prefix else 0
        with self._mapped(prefix or "/"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.settings.bucket, Prefix=self._key(prefix) if prefix else self.prefix
            )
            for page in pages:
                keys += [item["Key"][strip:] for item in page.get("Contents", [])]
        return sorted(keys)

    def delete(self, prefix: str) -> int:
        doomed = self.list(prefix)
        with self._mapped(prefix):
            for key in doomed:
                self.client.delete_object(Bucket=self.settings.bucket, Key=self._key(key))
        return len(doomed)

    @contextlib.contextmanager
    def _mapped(self, key: str) -> Iterator[None]:
        try:
            yield
        except EndpointConnectionError:
            raise Unreachable(
                f"The {self.environment} artifact store ({self.location}) cannot be reached.",
                hint="Check artifacts.endpoint_url and the network.",
            ) from None
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                raise ArtifactsError(f"No artifact {key!r} in {self.location}.") from None
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise NotAllowed(
                    f"The {self.environment} artifact store denied access to {key!r}.",
                    hint="Check the AWS credentials (the standard AWS variables or profile).",
                ) from None
            if code == "NoSuchBucket":
                raise ArtifactsError(
                    f"The bucket {self.settings.bucket!r} does not exist ({self.location}).",
                    hint="Create it, or correct artifacts.bucket in kitchen.yaml.",
                ) from None
            raise ArtifactsError(
                f"The {self.environment} artifact store refused: {code}."
            ) from None
        except BotoCoreError as exc:
            raise Unreachable(
                f"The {self.environment} artifact store ({self.location}) failed: "
                f"{type(exc).__name__}."
            ) from None
