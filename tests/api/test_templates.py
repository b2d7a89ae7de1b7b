"""Inquiry templates and versions through the API (reads of Persona's spec, plus the openidv extensions)."""

import pytest
from core_support import API, assert_error, create


def _make(client, **attrs):
    return client.post(f"{API}/inquiry-templates", json={"data": {"attributes": {"name": "T", **attrs}}})


def test_create_read_publish(client, world) -> None:
    made = _make(client, configuration={"steps": [{"kind": "government-id"}], "allowed_countries": ["US"]}, publish=False)
    assert made.status_code == 201, made.text
    template = made.json()["data"]
    assert template["relationships"]["latest-published-version"]["data"] is None
    version_id = made.json()["meta"]["inquiry-template-version-id"]
    assert_error(client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": template["id"]}}}), 422)
    published = client.post(f"{API}/inquiry-template-versions/{version_id}/publish")
    assert published.status_code == 200 and published.json()["data"]["attributes"]["status"] == "published"
    assert client.post(f"{API}/inquiry-template-versions/{version_id}/publish").status_code == 409
    assert_error(client.patch(f"{API}/inquiry-template-versions/{version_id}", json={"data": {"attributes": {"name-display": "x"}}}), 409)
    assert create(client, template["id"])["data"]["relationships"]["inquiry-template-version"]["data"]["id"] == version_id
    listed = [t["id"] for t in client.get(f"{API}/inquiry-templates", params={"page[size]": "100"}).json()["data"]]
    assert template["id"] in listed and world.production_templates["Government ID"] not in listed


def test_configuration_in_any_casing(client, world) -> None:
    made = _make(client, configuration={"steps": [{"kind": "selfie", "maxAttempts": 3}], "maxAttempts": 2, "expire-after-create-seconds": 60})
    assert made.status_code == 201, made.text
    config = client.get(f"{API}/inquiry-template-versions/{made.json()['meta']['inquiry-template-version-id']}").json()["meta"]["configuration"]
    assert config["max_attempts"] == 2 and config["steps"][0]["max_attempts"] == 3 and config["expire_after_create_seconds"] == 60


@pytest.mark.parametrize("attrs", [{"configuration": []}, {"configuration": {"steps": [{"kind": "dna"}]}}, {"name": 5}, {"name": " "}, {"publish": "no"},
                                   {"configuration": {"unknown_setting": 1}}])
def test_bad_template_input(client, world, engine, attrs: dict) -> None:
    before = len(client.get(f"{API}/inquiry-templates", params={"page[size]": "100"}).json()["data"])
    assert_error(_make(client, **attrs), 400)
    assert len(client.get(f"{API}/inquiry-templates", params={"page[size]": "100"}).json()["data"]) == before


def test_update_template(client, world) -> None:
    tmpl = world.templates["Government ID"]
    changes = {"name": " Renamed ", "embedded-flow-domain-allowlist": ["example.com"]}
    renamed = client.patch(f"{API}/inquiry-templates/{tmpl}", json={"data": {"attributes": changes}})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["attributes"]["name"] == "Renamed"
    assert renamed.json()["data"]["attributes"]["embedded-flow-domain-allowlist"] == ["example.com"]
    assert_error(client.patch(f"{API}/inquiry-templates/{tmpl}", json={"data": {"attributes": {"name": ""}}}), 400)
    assert_error(client.patch(f"{API}/inquiry-templates/{tmpl}", json={"data": {"attributes": {"status": "bogus"}}}), 400)
    assert client.patch(f"{API}/inquiry-templates/{tmpl}", json={"data": {"attributes": {"status": "inactive"}}}).status_code == 200
    assert_error(client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": tmpl}}}), 422)
    assert client.patch(f"{API}/inquiry-templates/{tmpl}", json={"data": {"attributes": {"status": "active"}}}).status_code == 200
    create(client, tmpl)


def test_illegal_transition_wording(client, world) -> None:
    from core_support import simulate

    inquiry = create(client, world.templates["Government ID"])["data"]
    error = assert_error(simulate(client, inquiry["id"], "start_inquiry", "start_inquiry"), 409)
    assert error["details"] == "Cannot start an inquiry that is pending"
