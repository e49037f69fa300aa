"""Prints the lab name (`jupyterlab-<user>`) of every user of one hub, one a line.

Run inside the hub image with the hub's data volume at /data (compose/stack.sh does that): the
hub's database is the one record of which users, and so which lab containers and volumes, belong
to this stack; DockerSpawner gives them no label. Exit 3 when there is no database to read.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from stellars_hub.config import DATABASE_FILE
from stellars_hub.docker_spawner import CONTAINER_NAME_TEMPLATE
from stellars_hub.names import safe_name


def main() -> int:
    database = Path(sys.argv[1] if len(sys.argv) > 1 else "/data") / DATABASE_FILE
    if not database.is_file():
        print(f"no hub database at {database}", file=sys.stderr)
        return 3
    # immutable: read without locks or journals (the volume may be mounted read-only).
    with sqlite3.connect(f"file:{database}?mode=ro&immutable=1", uri=True) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM users")]
    for name in names:
        print(CONTAINER_NAME_TEMPLATE.format(username=safe_name(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
