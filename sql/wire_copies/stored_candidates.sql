-- Stored stories of a day range (`$first_day`..`$last_day`, date keys) whose body MinHash shares a whole LSH band
-- with one of the chunk's signatures (the relation `chunk_signatures`, column `signature`): the only stored
-- stories `transforms.enrich.duplicates.link_duplicates` can pair with the chunk's (`similar_pairs` bands the
-- same way: `$bands` bands of `$rows` values). Banded here, in the engine, rather than by fetching every stored
-- signature of the range: those are 1 KB a story, so a process that fetched them grew with the warehouse.
-- A hash collision only adds a candidate that the linking then rejects.
WITH bands AS (
    SELECT range AS band FROM range($bands)
),
chunk_keys AS (
    SELECT DISTINCT b.band, hash(c.signature[b.band * $rows + 1 : (b.band + 1) * $rows]) AS band_key
    FROM chunk_signatures c CROSS JOIN bands b
),
stored_keys AS (
    SELECT g.story_key, b.band, hash(g.signature[b.band * $rows + 1 : (b.band + 1) * $rows]) AS band_key
    FROM etl_story_signature g JOIN fact_story f USING (story_key) CROSS JOIN bands b
    WHERE f.date_key BETWEEN $first_day AND $last_day
),
candidates AS (
    SELECT story_key FROM stored_keys SEMI JOIN chunk_keys USING (band, band_key)
),
-- With each candidate's stored original: a candidate is re-linked to one of the chunk's stories only when that
-- story is earlier than the original it has, and the original may share no band with the chunk.
pool AS (
    SELECT story_key FROM candidates
    UNION
    SELECT f.duplicate_of FROM candidates JOIN fact_story f USING (story_key) WHERE f.duplicate_of IS NOT NULL
)
SELECT f.story_id, d.name, strptime(f.date_key::VARCHAR, '%Y%m%d')::DATE, g.signature
FROM pool
JOIN etl_story_signature g USING (story_key)
JOIN fact_story f USING (story_key)
JOIN dim_source d ON d.source_key = f.source_key
WHERE f.date_key BETWEEN $first_day AND $last_day
