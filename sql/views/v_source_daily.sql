-- v_source_daily: one row per (day, source) with at least one story: a source's coverage that day.
-- `stories` counts its own stories, `wire_copies` the republished wire stories it carried (linked to an
-- original elsewhere, so they are not in `stories`), `words` the words of its own stories, and
-- `iptc_topics` how many distinct IPTC topics those stories touched. `last_seen_at` is when the
-- pipeline first saw the newest of them (a freshness signal per source).
-- Rows come from summary_source_daily, which each merge keeps equal to the star schema (sql/summaries/).
CREATE OR REPLACE VIEW v_source_daily AS
SELECT
    strptime(d.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    d.date_key,
    src.source_key,
    src.name AS source,
    src.kind,
    src.domain,
    d.stories,
    d.wire_copies,
    d.words,
    d.untagged_stories,
    d.iptc_topics,
    d.last_seen_at
FROM summary_source_daily d
JOIN dim_source src ON src.source_key = d.source_key;
