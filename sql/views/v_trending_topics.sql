-- v_trending_topics: one row per topic with stories in the last 35 days before the anchor: its last 7
-- days against the 28 days before them. The anchor is the newest publication (or update) day in the
-- warehouse, not the wall clock, so an archive or the bundled samples trend too; a story dated only by
-- when the pipeline first saw it (date_basis = 'first_seen') cannot move the anchor, and neither can a
-- date in the future: the anchor is never later than today, so one story stored as 2099-12-31 (before
-- the loader dropped such dates) cannot empty the window. Nor can a straggler: the anchor is the latest
-- day whose 7 days up to it hold at least 5 dated stories (the latest day at all when none does), so
-- one ad-hoc page from a quiet month does not make its handful of topics "trending" on a window of one
-- story. Wire copies are not counted.
--   recent_stories    stories in [anchor_day - 6, anchor_day]
--   baseline_stories  stories in [anchor_day - 34, anchor_day - 7]
--   expected_stories  baseline_stories * 7 / 28, what a steady topic would have had this week
--   ratio             (recent + 1) / (expected + 1), smoothed so a topic new this week is finite
--   score             (recent - expected) / sqrt(expected + 1): a Poisson z-score with a prior of one
--                     story, so volume counts: 1 new story scores 1, 40 new stories score 40, and a
--                     steady 40-a-week topic scores 0. Rank by score; `trend_rank` does (1 = hottest),
--                     within its `scheme`: IPTC topics and the sites' own tags rank apart, so filter on
--                     `scheme` before ordering by it (or the two lists interleave).
CREATE OR REPLACE VIEW v_trending_topics AS
WITH dated AS (
    SELECT strptime(date_key::VARCHAR, '%Y%m%d')::DATE AS day, count(*) AS stories
    FROM fact_story WHERE duplicate_of IS NULL AND date_basis <> 'first_seen'
    GROUP BY day
),
weekly AS (
    SELECT day, sum(stories) OVER (ORDER BY day RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS week
    FROM dated WHERE day <= current_date
),
anchor AS (
    SELECT coalesce(max(day) FILTER (WHERE week >= 5), max(day), current_date) AS anchor_day FROM weekly
),
windowed AS (
    SELECT
        d.topic_key,
        sum(d.stories) FILTER (WHERE d.day > a.anchor_day - 7) AS recent,
        sum(d.stories) FILTER (WHERE d.day <= a.anchor_day - 7) AS baseline
    FROM v_topic_daily d
    CROSS JOIN anchor a
    WHERE d.day BETWEEN a.anchor_day - 34 AND a.anchor_day
    GROUP BY d.topic_key
),
scored AS (
    SELECT
        topic_key,
        coalesce(recent, 0)::BIGINT AS recent_stories,
        coalesce(baseline, 0)::BIGINT AS baseline_stories,
        coalesce(baseline, 0) * 7.0 / 28.0 AS expected
    FROM windowed
)
SELECT
    a.anchor_day,
    t.topic_key,
    t.topic_id,
    t.label,
    t.scheme,
    t.level,
    s.recent_stories,
    s.baseline_stories,
    round(s.expected, 2) AS expected_stories,
    round((s.recent_stories + 1) / (s.expected + 1), 3) AS ratio,
    round((s.recent_stories - s.expected) / sqrt(s.expected + 1), 3) AS score,
    row_number() OVER (PARTITION BY t.scheme ORDER BY (s.recent_stories - s.expected) / sqrt(s.expected + 1) DESC,
                       s.recent_stories DESC, t.label) AS trend_rank
FROM scored s
CROSS JOIN anchor a
JOIN dim_topic t ON t.topic_key = s.topic_key;
