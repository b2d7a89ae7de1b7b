"""The document jobs. `document.process` (enqueued by a document's `submit`) lives here; importing this
module also registers `document-verification.process` (openidv.verifications.documents), so a standalone
`openidv worker`, which imports every `openidv.<package>.tasks`, knows both."""

from openidv.documents import service
from openidv.jobs import job
from openidv.jobs import session as job_session
from openidv.models import Document
from openidv.verifications import documents as _verifications  # noqa: F401 - registers document-verification.process


@job("document.process", max_attempts=3, on_give_up=service.give_up)
def process_job(document_id: str) -> None:
    with job_session() as db:
        document = db.get(Document, document_id, with_for_update=True)
        if document is not None:
            service.process(db, document)
