-- Stored stories whose enrichment rows another version made (or an unrecorded one: NULL), in story_key order
-- after the second parameter, at most the third: what `dateline reenrich` reads again, with the columns
-- `transforms.normalise.reenrich_chunk` wants. A story's own tags are its scheme-`source` topics other than
-- its section, as the run that loaded it passed them to enrichment.
SELECT f.story_key,
       f.story_id,
       s.name AS source,
       coalesce(f.url, f.story_id) AS locator,
       f.date_key,
       f.headline,
       coalesce(f.summary, []::VARCHAR[]) AS summary,
       f.body,
       f.section,
       coalesce((
           SELECT list(t.label ORDER BY t.label)
           FROM bridge_story_topic b JOIN dim_topic t ON t.topic_key = b.topic_key
           WHERE b.story_key = f.story_key AND t.scheme = 'source'
             AND lower(t.label) IS DISTINCT FROM lower(f.section)
       ), []::VARCHAR[]) AS tags,
       f.language,
       f.content_hash
FROM fact_story f
JOIN dim_source s ON s.source_key = f.source_key
WHERE f.enrichment_version IS DISTINCT FROM ?
  AND f.story_key > ?
ORDER BY f.story_key
LIMIT ?
