"""The admin's own configuration snippets, run after ours (Kubernetes: spec.hub.extraConfig).

Each `<name>.py` in the directory runs in name order with the config object as `c` (and
`get_config()`, as in a `jupyterhub_config.py`), so a snippet sees, and may change, every value
this package set. Snippets are trusted admin input: they run with the hub's own rights.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from traitlets.config import Config

log = logging.getLogger("JupyterHub.stellars")


class ExtraConfigError(RuntimeError):
    """A snippet that does not compile or raises; the message names the snippet and the line."""


def snippet_files(directory: Path) -> list[Path]:
    """The snippets in the order they run; none when the directory does not exist."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.suffix == ".py")


def load_extra_config(c: Config, directory: Path) -> list[str]:
    """Run every snippet of `directory` against `c`; returns their names in the order run."""
    names = []
    for path in snippet_files(directory):
        name = path.stem
        try:
            code = compile(path.read_text(), f"extraConfig {name}", "exec")
            exec(code, {"c": c, "get_config": lambda: c, "__name__": f"extra_config_{name}"})  # noqa: S102 - trusted admin input, the feature itself
        except SyntaxError as error:
            raise ExtraConfigError(
                f"extraConfig {name}: line {error.lineno}: {error.msg}"
            ) from error
        except Exception as error:
            raise ExtraConfigError(f"extraConfig {name}: {_where(error)}") from error
        log.info("extraConfig %s loaded", name)
        names.append(name)
    return names


def _where(error: Exception) -> str:
    """`line N: Kind: message`, N being the line of the snippet that raised."""
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename.startswith("extraConfig ")
    ]
    line = f"line {frames[-1].lineno}: " if frames else ""
    return f"{line}{type(error).__name__}: {error}"
