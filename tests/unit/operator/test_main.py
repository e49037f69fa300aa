"""__main__.py: command-line scope flags."""

import pytest

from stellars_operator.__main__ import parse_args
from stellars_operator.handlers import children, delete, ensure, health, indexes, nodes, startup


def test_namespaces() -> None:
    args = parse_args(["--namespace", "a", "-n", "b", "--liveness", "http://0.0.0.0:8080/healthz"])
    assert args.namespaces == ["a", "b"]
    assert not args.all_namespaces
    assert args.liveness == "http://0.0.0.0:8080/healthz"


def test_all_namespaces() -> None:
    args = parse_args(["--all-namespaces"])
    assert args.all_namespaces and args.namespaces is None


def test_scope_is_required_and_exclusive() -> None:
    with pytest.raises(SystemExit):
        parse_args([])
    with pytest.raises(SystemExit):
        parse_args(["-A", "-n", "x"])


def test_handlers_import_and_register() -> None:
    assert callable(ensure.ensure) and callable(ensure.resync)
    assert callable(delete.release_users) and callable(nodes.node_changed)
    assert callable(health.known_hubs) and callable(startup.configure)


def test_watch_handlers_register() -> None:
    assert callable(children.child_changed) and callable(ensure.retry)
    assert callable(indexes.hubs) and callable(indexes.gpu_nodes)
