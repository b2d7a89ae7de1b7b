"""Running an ASGI app on uvicorn with openidv's server settings (shared by `openidv serve` and bench/).

The garbage collector is tuned for a server (`tune_gc`). Sync endpoints run in anyio's worker threads. Fewer threads than anyio's default 40, and a shorter GIL
switch interval than Python's 5 ms, let a request that holds the database's write lock get the CPU back
sooner after each query, which raises creations per second and shortens the tail (bench/api.py).
"""

import asyncio
import gc
import sys

import anyio.to_thread
import uvicorn
from starlette.types import ASGIApp

# Young objects collected every 10,000 allocations instead of 700: a request makes thousands of short-lived ORM
# objects, and the collector ran some 15 times per request for nothing.
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Freeze what start-up made (modules, routes, mappers, models) out of the collector's sight, and collect the young
    generation less often. With 16 clients creating inquiries (bench/api.py), a full collection walked the whole
    heap and stopped every thread for up to 175 ms, the creation latency's tail; frozen, the longest was 26 ms, and
    with the higher threshold the collector's time fell from about 2.5 % of the run to under 0.5 %."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def serve(app: ASGIApp, *, host: str, port: int, threads: int, log_level: str = "info", switch_interval: float | None = None,
          uvicorn_logging: bool = True, graceful_seconds: float | None = None) -> None:
    """`uvicorn_logging=False` leaves uvicorn's loggers to the root logger's handlers (JSON logs); on SIGTERM the
    requests in flight get `graceful_seconds` to finish before the app's shutdown runs (None: as long as they take)."""
    if switch_interval:
        sys.setswitchinterval(switch_interval)
    tune_gc()
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, workers=1,
                            log_config=uvicorn.config.LOGGING_CONFIG if uvicorn_logging else None,
                            timeout_graceful_shutdown=None if graceful_seconds is None else max(1, round(graceful_seconds)))
    server = uvicorn.Server(config)

    async def main() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await server.serve()

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main())
