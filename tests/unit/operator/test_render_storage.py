"""render/storage.py: hub data PVC, the shared PVC and who owns it."""

from stellars_operator.render.storage import render_storage
from tests.unit.operator.conftest import make_hub


def test_hub_data_claim() -> None:
    (claim,) = render_storage(make_hub({"storage": {"hubData": "2Gi", "storageClass": "fast"}}))
    assert claim["metadata"]["name"] == "demo-hub-data"
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "2Gi"}},
        "storageClassName": "fast",
    }
    # The account database is kept with the users' volumes (their stamps name its accounts).
    assert "ownerReferences" not in claim["metadata"]


def test_hub_data_goes_with_the_hub_only_when_user_data_does() -> None:
    (claim,) = render_storage(make_hub({"storage": {"deleteUserDataOnHubDelete": True}}))
    assert claim["metadata"]["ownerReferences"][0]["kind"] == "StellarsHub"


def test_default_storage_class_is_left_out() -> None:
    (claim,) = render_storage(make_hub())
    assert "storageClassName" not in claim["spec"]


def test_shared_claim_outlives_the_hub_by_default() -> None:
    _, shared = render_storage(make_hub({"storage": {"shared": {"enabled": True, "size": "50Gi"}}}))
    assert shared["metadata"]["name"] == "demo-shared"
    assert shared["spec"]["accessModes"] == ["ReadWriteMany"]
    assert shared["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert "ownerReferences" not in shared["metadata"]


def test_shared_claim_goes_with_the_hub_when_asked() -> None:
    spec = {"storage": {"deleteUserDataOnHubDelete": True, "shared": {"enabled": True}}}
    _, shared = render_storage(make_hub(spec))
    assert shared["metadata"]["ownerReferences"][0]["name"] == "demo"


def test_shared_class_falls_back_to_the_storage_class() -> None:
    spec = {"storage": {"storageClass": "fast", "shared": {"enabled": True}}}
    assert render_storage(make_hub(spec))[1]["spec"]["storageClassName"] == "fast"
    spec = {"storage": {"storageClass": "fast", "shared": {"enabled": True, "storageClass": "nfs"}}}
    assert render_storage(make_hub(spec))[1]["spec"]["storageClassName"] == "nfs"


def test_existing_claim_is_not_created() -> None:
    spec = {"storage": {"shared": {"enabled": True, "existingClaim": "data"}}}
    assert len(render_storage(make_hub(spec))) == 1
