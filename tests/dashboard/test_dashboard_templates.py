"""Template versions from the dashboard: an admin creates and publishes one; new inquiries use it; others may not."""

from dashboard_support import API, make_user, new_inquiry, post, signed_in
from sqlalchemy import select

from openidv.models import AuditLog, InquiryTemplateVersion


def test_admin_creates_and_publishes_a_version_that_new_inquiries_use(app, client, engine, world, db):
    make_user(engine, "admin@example.com", "admin")
    make_user(engine, "reviewer@example.com", "reviewer")
    template_id = world.templates["Government ID"]
    old = new_inquiry(client, template_id)
    c = signed_in(app, "admin@example.com")
    page = c.get(f"/dashboard/templates/{template_id}")
    assert page.status_code == 200 and 'value="government-id"' in page.text
    form = {"steps": "government-id, selfie", "allowed_countries": "us, ca", "max_attempts": "3", "redirect_uri": "https://example.com/done",
            "field_schema": '[{"key": "name-first", "type": "string", "label": "First name", "required": true}]', "checks-government-id": "id_mrz_detected"}
    assert post(c, f"/dashboard/templates/{template_id}/versions", **form).status_code == 303
    db.rollback()
    draft = db.scalars(select(InquiryTemplateVersion).where(InquiryTemplateVersion.template_id == template_id, InquiryTemplateVersion.status == "draft")).one()
    config = draft.config
    assert [s["kind"] for s in config["steps"]] == ["government-id", "selfie"] and config["allowed_countries"] == ["US", "CA"]
    assert config["max_attempts"] == 3 and config["steps"][0]["required_checks"] == ["id_mrz_detected"] and config["field_schema"][0]["key"] == "name-first"
    assert new_inquiry(client, template_id) and post(c, f"/dashboard/templates/{template_id}/versions/{draft.id}/publish").status_code == 303
    fresh = client.get(f"{API}/inquiries/{new_inquiry(client, template_id, fields={'name-first': 'Ann'})}").json()["data"]
    assert fresh["relationships"]["inquiry-template-version"]["data"]["id"] == draft.id
    assert draft.id in c.get(f"/dashboard/inquiries/{fresh['id']}").text
    assert draft.id not in c.get(f"/dashboard/inquiries/{old}").text
    assert post(c, f"/dashboard/templates/{template_id}/versions/{draft.id}/publish").status_code == 409  # published versions are immutable
    db.rollback()
    audit = db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))
    assert [(a.action, a.detail) for a in audit] == [("template.new-version", draft.id), ("template.publish", draft.id)]

    reviewer = signed_in(app, "reviewer@example.com")
    assert "Create version" not in reviewer.get(f"/dashboard/templates/{template_id}").text
    assert post(reviewer, f"/dashboard/templates/{template_id}/versions", steps="selfie").status_code == 403


def test_bad_version_forms_are_refused_and_write_nothing(app, engine, world, db):
    make_user(engine, "admin@example.com", "admin")
    template_id = world.templates["Phone"]
    c = signed_in(app, "admin@example.com")
    for form in ({"steps": "retina-scan"}, {"steps": "selfie, selfie"}, {"steps": "selfie", "allowed_countries": "USA"},
                 {"steps": "selfie", "max_attempts": "many"}, {"steps": "selfie", "field_schema": "{not json"}):
        answer = post(c, f"/dashboard/templates/{template_id}/versions", **form)
        assert answer.status_code == 400, (form, answer.text)
    assert post(c, f"/dashboard/templates/{world.production_templates['Phone']}/versions", steps="selfie").status_code == 404
    assert post(c, f"/dashboard/templates/{template_id}/versions/itmplv_nope/publish").status_code == 404
    db.rollback()
    assert db.scalars(select(InquiryTemplateVersion).where(InquiryTemplateVersion.status == "draft")).all() == []
    assert db.scalars(select(AuditLog)).all() == []


def test_reviewer_creates_an_inquiry_from_a_template_with_a_one_time_link(app, client, engine, world, db):
    make_user(engine, "reviewer@example.com", "reviewer")
    make_user(engine, "viewer@example.com", "viewer")
    template_id = world.templates["Phone"]
    c = signed_in(app, "reviewer@example.com")
    answer = post(c, f"/dashboard/templates/{template_id}/inquiries", reference_id="crm-42")
    assert answer.status_code == 303
    inquiry_id = answer.headers["location"].split("/dashboard/inquiries/")[1].split("?")[0]
    page = c.get(answer.headers["location"]).text
    assert "/verify?code=" in page and "<svg" in page
    api = client.get(f"{API}/inquiries/{inquiry_id}").json()["data"]["attributes"]
    assert api["reference-id"] == "crm-42" and api["creator"] == "reviewer@example.com"
    db.rollback()
    assert db.scalars(select(AuditLog).where(AuditLog.action == "inquiry.create")).one().object_id == inquiry_id
    viewer = signed_in(app, "viewer@example.com")
    assert "Create inquiry" not in viewer.get(f"/dashboard/templates/{template_id}").text
    assert post(viewer, f"/dashboard/templates/{template_id}/inquiries").status_code == 403
    assert post(c, f"/dashboard/templates/{world.production_templates['Phone']}/inquiries").status_code == 404
