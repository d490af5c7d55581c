-- Version 2: which process runs a flow run, so a new run marks as abandoned only the runs whose
-- process is gone (a concurrent run on the same machine is still alive and must not be).
ALTER TABLE etl_run ADD COLUMN host VARCHAR;
ALTER TABLE etl_run ADD COLUMN pid INTEGER;
