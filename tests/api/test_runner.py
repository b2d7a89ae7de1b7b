"""The inquiry runner through the sandbox simulate actions: completion, attempt limits, optional steps, next-step-name."""

from core_support import API, create, event_names, simulate, steps, verification


def _template(client, config: dict) -> str:
    answer = client.post(f"{API}/inquiry-templates", json={"data": {"attributes": {"name": "Custom", "configuration": config}}})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def test_next_step_names_and_completion(client, world, db) -> None:
    inquiry = create(client, world.templates["Government ID and Selfie"])["data"]
    assert inquiry["attributes"]["next-step-name"] == "start"
    gov, selfie = steps(client, inquiry)
    after_gov = simulate(client, inquiry["id"], verification(gov["id"], True)).json()["data"]["attributes"]
    assert after_gov["status"] == "pending"
    assert (after_gov["previous-step-name"], after_gov["next-step-name"]) == ("verification_government_id", "verification_selfie")
    failed_once = simulate(client, inquiry["id"], verification(selfie["id"], False)).json()["data"]["attributes"]
    assert failed_once["status"] == "pending" and failed_once["next-step-name"] == "retry_verification_selfie"
    done = simulate(client, inquiry["id"], verification(selfie["id"], True)).json()["data"]["attributes"]
    assert done["status"] == "completed" and done["next-step-name"] == "success" and done["completed-at"]
    names = event_names(db, inquiry["id"])
    assert names[:2] == ["inquiry.created", "inquiry.started"] and names[-1] == "inquiry.completed"
    assert names.count("inquiry.completed") == 1


def test_default_attempt_limit_is_five(client, world) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    (gov,) = steps(client, inquiry)
    four = simulate(client, inquiry["id"], *[verification(gov["id"], False)] * 4).json()["data"]["attributes"]
    assert four["status"] == "pending" and four["next-step-name"] == "retry_verification_government_id"
    fifth = simulate(client, inquiry["id"], verification(gov["id"], False)).json()["data"]
    assert fifth["attributes"]["status"] == "failed"
    assert fifth["attributes"]["next-step-name"] == "fail" and fifth["attributes"]["failed-at"]
    assert len(fifth["relationships"]["verifications"]["data"]) == 5
    # A failed inquiry takes no more verifications.
    assert simulate(client, inquiry["id"], verification(gov["id"], True)).status_code == 409


def test_custom_template_with_two_attempts(client, world, db) -> None:
    template_id = _template(client, {"steps": [{"kind": "government-id"}, {"kind": "selfie"}], "max_attempts": 2})
    inquiry = create(client, template_id)["data"]
    gov, _ = steps(client, inquiry)
    once = simulate(client, inquiry["id"], verification(gov["id"], False)).json()["data"]["attributes"]
    assert once["status"] == "pending"
    twice = simulate(client, inquiry["id"], verification(gov["id"], False)).json()["data"]["attributes"]
    assert twice["status"] == "failed"
    assert event_names(db, inquiry["id"])[-1] == "inquiry.failed"


def test_step_max_attempts_overrides_template(client, world) -> None:
    template_id = _template(client, {"steps": [{"kind": "government-id", "max_attempts": 1}], "max_attempts": 5})
    inquiry = create(client, template_id)["data"]
    (gov,) = steps(client, inquiry)
    assert simulate(client, inquiry["id"], verification(gov["id"], False)).json()["data"]["attributes"]["status"] == "failed"


def test_optional_step_exhausted_still_completes(client, world) -> None:
    template_id = _template(client, {"steps": [{"kind": "government-id"}, {"kind": "selfie", "required": False}], "max_attempts": 2})
    inquiry = create(client, template_id)["data"]
    gov, selfie = steps(client, inquiry)
    assert selfie["required"] is False
    first = simulate(client, inquiry["id"], verification(gov["id"], True)).json()["data"]["attributes"]
    assert first["next-step-name"] == "verification_selfie"
    end = simulate(client, inquiry["id"], verification(selfie["id"], False), verification(selfie["id"], False)).json()["data"]["attributes"]
    assert end["status"] == "completed" and end["next-step-name"] == "success"


def test_optional_step_first_then_required(client, world) -> None:
    template_id = _template(client, {"steps": [{"kind": "email-address", "required": False, "max_attempts": 1}, {"kind": "government-id"}]})
    inquiry = create(client, template_id)["data"]
    email, gov = steps(client, inquiry)
    after = simulate(client, inquiry["id"], verification(email["id"], False)).json()["data"]["attributes"]
    assert after["status"] == "pending" and after["next-step-name"] == "verification_government_id"
    assert simulate(client, inquiry["id"], verification(gov["id"], True)).json()["data"]["attributes"]["status"] == "completed"


def test_unknown_verification_template_is_404(client, world, engine) -> None:
    from core_support import assert_error, counts

    inquiry = create(client, world.templates["Government ID"])["data"]
    before = counts(engine)
    assert_error(simulate(client, inquiry["id"], verification("vtmpl_doesnotexist", True)), 404)
    assert_error(simulate(client, inquiry["id"], "no_such_action"), 400)
    assert counts(engine) == before
