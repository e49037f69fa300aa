"""Test-suite root: tiers share only tests/fixtures/, whose fixture modules are plugins here."""

pytest_plugins = [
    "tests.fixtures.egress_guard",
    "tests.fixtures.docker",
    "tests.fixtures.gpu_engine",
    "tests.fixtures.cluster",
    "tests.fixtures.stellarshub",
    "tests.fixtures.chart_objects",
    "tests.fixtures.operator_process",
]
