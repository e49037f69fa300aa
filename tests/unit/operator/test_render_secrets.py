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


def test_the_secret_is_kept_with_the_hubs_data_unless_user_data_goes() -> None:
    (kept,) = render_secrets(make_hub(), values={"proxy-token": "t"})
    assert "ownerReferences" not in kept["metadata"]
    spec = {"storage": {"deleteUserDataOnHubDelete": True}}
    (owned,) = render_secrets(make_hub(spec), values={"proxy-token": "t"})
    assert owned["metadata"]["ownerReferences"][0]["name"] == "demo"
