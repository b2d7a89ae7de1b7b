"""The document processing job (enqueued by `submit`); it opens its own session."""

from openidv.documents import service
from openidv.jobs import job
from openidv.jobs import session as job_session
from openidv.models import Document


@job("document.process", max_attempts=3)
def process_job(document_id: str) -> None:
    with job_session() as db:
        document = db.get(Document, document_id, with_for_update=True)
        if document is not None:
            service.process(db, document)
