"""render/secrets.py: the values passed in, base64 in `data`."""

import base64

from stellars_operator.render.secrets import render_secrets
from tests.unit.operator.conftest import make_hub


def test_secret_carries_the_given_values() -> None:
    (secret,) = render_secrets(make_hub(), values={"proxy-token": "t", "cookie-secret": "c"})
    assert secret["metadata"]["name"] == "demo-secrets"
    assert secret["type"] == "Opaque"
    assert list(secret["data"]) == ["cookie-secret", "proxy-token"]
    assert base64.b64decode(secret["data"]["proxy-token"]) == b"t"
    assert "stringData" not in secret
