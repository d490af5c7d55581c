/* Is the data current? The last five runs with their counts, newest first.
   (Starts with a block comment, not --, so `dateline sql "$(cat this.sql)"` does not read it as an option.) */
SELECT run_id,
       status,
       started_at,
       round(epoch(finished_at) - epoch(started_at), 1) AS seconds,
       found, new, updated, unchanged, rejected,
       message
FROM etl_run
ORDER BY started_at DESC
LIMIT 5;
