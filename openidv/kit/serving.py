"""Running an ASGI app on uvicorn with openidv's server settings (shared by `openidv serve` and bench/).

Sync endpoints run in anyio's worker threads. Fewer threads than anyio's default 40, and a shorter GIL
switch interval than Python's 5 ms, let a request that holds the database's write lock get the CPU back
sooner after each query, which raises creations per second and shortens the tail (bench/api.py).
"""

import asyncio
import sys

import anyio.to_thread
import uvicorn
from starlette.types import ASGIApp


def serve(app: ASGIApp, *, host: str, port: int, threads: int, log_level: str = "info", switch_interval: float | None = None,
          uvicorn_logging: bool = True, graceful_seconds: float | None = None) -> None:
    """`uvicorn_logging=False` leaves uvicorn's loggers to the root logger's handlers (JSON logs); on SIGTERM the
    requests in flight get `graceful_seconds` to finish before the app's shutdown runs (None: as long as they take)."""
    if switch_interval:
        sys.setswitchinterval(switch_interval)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, workers=1,
                            log_config=uvicorn.config.LOGGING_CONFIG if uvicorn_logging else None,
                            timeout_graceful_shutdown=None if graceful_seconds is None else max(1, round(graceful_seconds)))
    server = uvicorn.Server(config)

    async def main() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await server.serve()

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main())
