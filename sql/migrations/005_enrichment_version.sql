-- Version 5: which enrichment produced each story's entity, topic, quote and date rows
-- (`transforms.enrich.version`: the entity detector and a digest of the enrichment code and lists), so a
-- trend never silently mixes model versions and `dateline reenrich` redoes exactly the stories whose version
-- differs from the current one. Stories loaded before this migration have NULL: enriched by an unrecorded
-- version, so the next `dateline reenrich` redoes them.
ALTER TABLE fact_story ADD COLUMN enrichment_version VARCHAR;
