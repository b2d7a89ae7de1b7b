"""PostgreSQL `LISTEN/NOTIFY` for the workers: a job committed anywhere wakes idle workers at once.

`enqueue_in_tx` sends `NOTIFY` in the enqueuing transaction (PostgreSQL delivers it only on commit, so a
rolled-back job wakes nobody). Each worker has one `Listener`: a thread with a connection of its own, outside
the pool, that waits for notifications and sets the worker's wake event. Polling stays as the fallback; a
lost connection is reopened (with growing pauses), and each new connection wakes the worker once for what was
committed while nobody listened.
"""

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from openidv.jobs import repository

log = logging.getLogger("openidv.jobs")


def conninfo(url: URL) -> str:
    """The libpq URI of an SQLAlchemy PostgreSQL URL (query options such as `options=-csearch_path=...` kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    def __init__(self, url: URL, wake: Callable[[], None], *, name: str = "openidv-jobs", reconnect_seconds: float = 0.5,
                 max_reconnect_seconds: float = 15) -> None:
        self._conninfo = conninfo(url)
        self._wake = wake
        self._name = name
        self.reconnect_seconds = reconnect_seconds
        self.max_reconnect_seconds = max_reconnect_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()  # set while LISTEN holds
        self.backend_pid: int | None = None  # the server process of the current connection
        self.connections = 0  # how many times it (re)connected

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="openidv-jobs-listen", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        pause = self.reconnect_seconds
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, application_name=self._name[:63], connect_timeout=10) as conn:
                    repository.listen(conn)
                    self.backend_pid = conn.info.backend_pid
                    self.connections += 1
                    self.connected.set()
                    pause = self.reconnect_seconds
                    self._wake()  # what was committed while nobody listened
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._wake()
            except psycopg.Error as exc:
                log.warning("job listener lost its connection (%s); polling until it is back", exc)
            finally:
                self.connected.clear()
            self._stop.wait(pause)
            pause = min(pause * 2, self.max_reconnect_seconds)
