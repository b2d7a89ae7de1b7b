"""Inquiries with real evidence for the case-page tests and screenshots: a government ID with a real face as
its portrait and a three-pose selfie, read by the real engines (the processing jobs' functions, run here)."""

import base64
from typing import Any

from fastapi.testclient import TestClient

from openidv.kit.db import session_factory, transaction
from openidv.models import Verification
from openidv.testdata import idgen, selfiegen
from openidv.verifications.government_id import service as government_ids
from openidv.verifications.selfie import service as selfies

API = "/api/v1"
TEMPLATE = "Government ID and Selfie"


def _photo(data: bytes, name: str) -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": name}


def _made(answer: Any) -> str:
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def _process(engine, verification_id: str, process) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        process(db, db.get(Verification, verification_id))


def evidence_inquiry(api: TestClient, engine, template_id: str, *, kind: str = "passport", seed: int = 1, id_face: str = "astronaut",
                     selfie_face: str | None = "astronaut", fields: dict[str, Any] | None = None, **attributes: Any) -> str:
    """An inquiry whose government ID (`kind`, with `id_face` as its portrait) and selfie (`selfie_face`, three poses)
    went through the real checks; no selfie when `selfie_face` is None."""
    body = {"data": {"attributes": {"inquiry-template-id": template_id, "fields": fields or {}, **attributes}}}
    inquiry_id = _made(api.post(f"{API}/inquiries", json=body))
    sample = idgen.make(kind, seed)
    front = selfiegen.id_front_with_portrait(id_face, kind=kind, seed=seed)
    attrs = {"inquiry-id": inquiry_id, "country-code": sample.truth["issuing-country"], "id-class": sample.truth["id-class"],
             "front-photo": _photo(front, "front.jpg")}
    if kind != "passport":
        attrs["back-photo"] = _photo(sample.jpeg("back"), "back.jpg")
    gid = _made(api.post(f"{API}/verification/government-ids", json={"data": {"attributes": attrs}}))
    assert api.post(f"{API}/verification/government-ids/{gid}/submit").status_code == 200
    _process(engine, gid, government_ids.process_government_id)
    if selfie_face is None:
        return inquiry_id
    poses = selfiegen.three_poses(selfie_face, seed=seed + 20)
    attrs = {"inquiry-id": inquiry_id, **{f"{p}-photo": _photo(d, f"{p}.jpg") for p, d in zip(selfies.POSES, poses, strict=True)}}
    selfie = _made(api.post(f"{API}/verification/selfies", json={"data": {"attributes": attrs}}))
    assert api.post(f"{API}/verification/selfies/{selfie}/submit").status_code == 200
    _process(engine, selfie, selfies.process_selfie)
    return inquiry_id
