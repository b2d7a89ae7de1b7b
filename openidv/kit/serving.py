"""Running an ASGI app on uvicorn with openidv's server settings (shared by `openidv serve` and bench/).

Sync endpoints run in anyio's worker threads. Fewer threads than anyio's default 40 means less
fighting over the GIL while a request holds the database's write lock, which shortens the tail.
"""

import asyncio

import anyio.to_thread
import uvicorn


def serve(app, *, host: str, port: int, threads: int, log_level: str = "info") -> None:  # noqa: ANN001
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, workers=1)
    server = uvicorn.Server(config)

    async def main() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await server.serve()

    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main())
