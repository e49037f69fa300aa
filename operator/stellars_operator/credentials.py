"""Secret values generated once: missing keys are filled, existing ones are never rotated."""

import secrets
from collections.abc import Callable, Mapping

from stellars_operator.constants import SECRET_ADMIN_PASSWORD, SECRET_COOKIE, SECRET_PROXY_TOKEN


def _hex32() -> str:
    return secrets.token_hex(32)


def _password() -> str:
    return secrets.token_urlsafe(18)


GENERATORS: Mapping[str, Callable[[], str]] = {
    SECRET_COOKIE: _hex32,  # JupyterHub wants 32 bytes, hex-encoded
    SECRET_PROXY_TOKEN: _hex32,
    SECRET_ADMIN_PASSWORD: _password,
}


def complete_secret_values(existing: Mapping[str, str]) -> dict[str, str]:
    """The Secret's values: what exists is kept as is; only missing or empty keys are generated."""
    values = dict(existing)
    for key, generate in GENERATORS.items():
        if not values.get(key):
            values[key] = generate()
    return values
