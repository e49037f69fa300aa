"""User names -> names that are safe for Docker containers and volumes and Kubernetes objects.

A name that is already safe is kept as it is, so the seed's `jupyterlab-{username}` volumes of
ordinary users keep working. Anything else becomes a lowercase ascii slug plus `--` and a hash of
the original name. A safe name never contains `--` (see `_SAFE`), so a rewritten name can never
equal a kept one, and two different originals only meet on a hash collision of the same slug.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Final

# Short enough that `<hub>-jupyter-<name>` and `<hub>-<name>-workspace` stay well inside the
# 63-character limits of Kubernetes label values and host names.
MAX_SAFE_NAME_LENGTH: Final = 32
_HASH_LENGTH: Final = 8
_SEPARATOR: Final = "--"
_SAFE: Final = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")
# Used when nothing of the original survives the slug (e.g. a name in Cyrillic only).
_EMPTY_SLUG: Final = "user"


def safe_name(name: str) -> str:
    """The Docker/Kubernetes-safe form of `name`; pure and stable across releases.

    The empty string stays empty: DockerSpawner also escapes the (empty) name of a user's
    default server with this function.
    """
    if not name or is_safe_name(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-") or _EMPTY_SLUG
    room = MAX_SAFE_NAME_LENGTH - len(_SEPARATOR) - _HASH_LENGTH
    slug = slug[:room].rstrip("-")
    return f"{slug}{_SEPARATOR}{digest}"


def is_safe_name(name: str) -> bool:
    """True when `name` can be used unchanged in a container, volume, pod or PVC name."""
    return len(name) <= MAX_SAFE_NAME_LENGTH and _SAFE.match(name) is not None
