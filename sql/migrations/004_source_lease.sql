-- Version 4: one run at a time per source and warehouse. A run leases its sources before it fetches
-- anything; a second run that wants a leased source waits until the holder lets go, so no page is
-- fetched by two runs at once. A lease is void when it expires, when its run is no longer 'running',
-- or when its process (on this host) is gone, so a killed run never blocks the next one for long.
-- No PRIMARY KEY: the DuckLake backend has no constraints; the one-writer transaction keeps it unique.

CREATE TABLE IF NOT EXISTS etl_lease (
    source      VARCHAR NOT NULL,       -- one row per source: taken by delete-then-insert in one transaction
    run_id      VARCHAR NOT NULL,
    host        VARCHAR NOT NULL,
    pid         INTEGER NOT NULL,
    taken_at    TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
