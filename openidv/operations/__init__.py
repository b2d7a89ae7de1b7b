"""Running openidv in production: health and readiness (`/healthz`, `/readyz`), Prometheus metrics
(`/metrics`, and `openidv worker`'s own port), JSON logs with request ids, and `openidv doctor`.

It imports only the layers below it (models, config, kit and the migration history), so the job runtime can
report to it; the composition root (`openidv.wiring`) lists its router and its lifecycle observers."""
