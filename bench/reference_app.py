"""The bare reference for bench/api.py: a minimal FastAPI + SQLAlchemy endpoint that inserts one inquiry
row and one event row and returns the inquiry, with the same engine (pool, SQLite pragmas), uvicorn
and thread-pool settings as `openidv serve`.

    python bench/reference_app.py --port 8001 --database-url sqlite:////tmp/ref.db
"""

import argparse
import json
import secrets
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, insert, select

from openidv.config import Settings
from openidv.kit import serving
from openidv.kit.db import make_engine, session_factory, transaction

metadata = MetaData()
inquiries = Table(
    "ref_inquiries", metadata,
    Column("id", String(40), primary_key=True), Column("status", String(40)), Column("reference_id", String(255)),
    Column("fields", JSON), Column("created_at", DateTime(timezone=True)),
)
events = Table(
    "ref_events", metadata,
    Column("id", String(40), primary_key=True), Column("name", String(80)), Column("object_id", String(40), index=True),
    Column("payload", JSON), Column("created_at", DateTime(timezone=True)),
)


def _row(inquiry_id: str, status: str, reference_id: str | None, fields: dict, created_at: datetime) -> dict:
    attributes = {"status": status, "reference-id": reference_id, "fields": fields, "created-at": created_at.isoformat()}
    return {"data": {"type": "inquiry", "id": inquiry_id, "attributes": attributes}}


def build(database_url: str, pool_size: int) -> FastAPI:
    engine = make_engine(database_url, pool_size=pool_size)
    metadata.create_all(engine)
    reader, writer = session_factory(engine), session_factory(engine, writer=True)
    app = FastAPI()

    @app.post("/inquiries", status_code=201)
    def create(body: dict) -> Response:
        attributes = (body.get("data") or {}).get("attributes") or {}
        inquiry_id, stamp = "inq_" + secrets.token_urlsafe(18), datetime.now(UTC)
        row = _row(inquiry_id, "created", attributes.get("reference-id"), attributes.get("fields") or {}, stamp)
        with transaction(writer) as db:
            db.execute(insert(inquiries).values(
                id=inquiry_id, status="created", reference_id=attributes.get("reference-id"), fields=row["data"]["attributes"]["fields"], created_at=stamp))
            db.execute(insert(events).values(
                id="evt_" + secrets.token_urlsafe(18), name="inquiry.created", object_id=inquiry_id, payload=row, created_at=stamp))
        return Response(json.dumps(row), status_code=201, media_type="application/json")

    @app.get("/inquiries/{inquiry_id}")
    def retrieve(inquiry_id: str) -> Response:
        with transaction(reader) as db:
            found = db.execute(select(inquiries).where(inquiries.c.id == inquiry_id)).first()
        if found is None:
            return Response('{"errors":[{"title":"Record not found"}]}', status_code=404, media_type="application/json")
        row = _row(found.id, found.status, found.reference_id, found.fields, found.created_at)
        return Response(json.dumps(row), media_type="application/json")

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    settings = Settings()  # the same OPENIDV_* server settings as `openidv serve`: pool size, threads, switch interval
    app = build(args.database_url, settings.db_pool_size)
    serving.serve(app, host="127.0.0.1", port=args.port, threads=settings.worker_threads, log_level="warning", switch_interval=settings.switch_interval)


if __name__ == "__main__":
    main()
