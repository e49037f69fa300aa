"""labels.py: the five labels, selectors and child names per docs/hub-settings.md."""

from stellars_operator.labels import (
    ChildNames,
    children_selector,
    standard_labels,
    user_selector,
)


def test_standard_labels_are_the_designs_five() -> None:
    assert standard_labels("demo", "proxy") == {
        "app.kubernetes.io/name": "stellars-jupyterhub",
        "app.kubernetes.io/instance": "demo",
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "stellars-operator",
        "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
    }


def test_selectors() -> None:
    assert children_selector("demo") == (
        "app.kubernetes.io/instance=demo,app.kubernetes.io/managed-by=stellars-operator"
    )
    assert user_selector("demo").endswith(",app.kubernetes.io/component=singleuser")


def test_child_names_follow_the_settings_contract() -> None:
    names = ChildNames("demo")
    assert (names.hub, names.user_service_account, names.secret) == (
        "demo-hub",
        "demo-user",
        "demo-secrets",
    )
    assert (names.config, names.gpu_config, names.hub_data) == (
        "demo-config",
        "demo-gpu",
        "demo-hub-data",
    )
    assert (names.proxy, names.proxy_api, names.proxy_public) == (
        "demo-proxy",
        "demo-proxy-api",
        "demo-proxy-public",
    )
    assert (names.ingress, names.singleuser_policy, names.shared) == (
        "demo",
        "demo-singleuser",
        "demo-shared",
    )
