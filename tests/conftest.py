"""Test-suite root: fixtures live in tests/fixtures/, one module per real component."""

pytest_plugins = [
    "tests.fixtures.docker",
    "tests.fixtures.gpu_engine",
    "tests.fixtures.cluster",
]
