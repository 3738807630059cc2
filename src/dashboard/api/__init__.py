"""The HTTP ingest service (`dashboard api`): predictions and outcomes over HTTP, group-committed.

`app` builds the ASGI application, `auth` checks bearer tokens, `bodies` reads request bodies,
`batcher` gathers requests into durable writes, `activity` and `metrics` count what it serves.
"""
