"""extra_config.py: the admin's snippets run after ours, in name order; failures name the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from stellars_hub.extra_config import ExtraConfigError, load_extra_config


def _snippets(tmp_path: Path, **sources: str) -> Path:
    for name, source in sources.items():
        (tmp_path / f"{name}.py").write_text(source)
    return tmp_path


def test_snippets_run_in_name_order_and_see_our_values(tmp_path: Path) -> None:
    c = Config()
    c.JupyterHub.base_url = "/jupyterhub/"
    first = "c.JupyterHub.template_vars = {'order': ['10'], 'base': c.JupyterHub.base_url}\n"
    second = "c.JupyterHub.template_vars['order'].append('20')\n"
    folder = _snippets(tmp_path, **{"20-second": second, "10-first": first})
    (folder / "README.txt").write_text("not a snippet")
    assert load_extra_config(c, folder) == ["10-first", "20-second"]
    assert c.JupyterHub.template_vars == {"order": ["10", "20"], "base": "/jupyterhub/"}


def test_no_directory_means_no_snippets(tmp_path: Path) -> None:
    assert load_extra_config(Config(), tmp_path / "absent") == []


def test_a_snippet_that_raises_names_itself_and_the_line(tmp_path: Path) -> None:
    folder = _snippets(tmp_path, **{"roles": "x = 1\nc.JupyterHub.load_roles = undefined\n"})
    with pytest.raises(ExtraConfigError, match="extraConfig roles: line 2: NameError"):
        load_extra_config(Config(), folder)


def test_a_snippet_that_does_not_compile_names_the_line(tmp_path: Path) -> None:
    folder = _snippets(tmp_path, broken="if True\n")
    with pytest.raises(ExtraConfigError, match="extraConfig broken: line 1"):
        load_extra_config(Config(), folder)
