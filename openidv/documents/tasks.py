"""The document job: `document.process`, enqueued by a document's `submit`."""

from openidv.documents import service
from openidv.jobs import job, session as job_session
from openidv.models import Document


@job(service.PROCESS_JOB, max_attempts=3, on_give_up=service.give_up)
def process_job(document_id: str) -> None:
    with job_session() as db:
        document = db.get(Document, document_id, with_for_update=True)
        if document is not None:
            service.process(db, document)
