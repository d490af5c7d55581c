/* Stories per ISO week for each top-level IPTC topic, with the change on the week before and the
   topic's share of that week's stories (a story with two topics counts in both).
   (Starts with a block comment, not --, so `dateline sql "$(cat this.sql)"` does not read it as an option.) */
WITH weekly AS (
    SELECT iso_year, iso_week, week_start, label, stories
    FROM v_topic_weekly
    WHERE scheme = 'iptc' AND level = 1
),
week_total AS (
    SELECT date_trunc('week', strptime(date_key::VARCHAR, '%Y%m%d'))::DATE AS week_start, count(*) AS stories
    FROM fact_story
    WHERE duplicate_of IS NULL
    GROUP BY week_start
)
SELECT w.iso_year,
       w.iso_week,
       w.week_start,
       w.label AS topic,
       w.stories,
       w.stories - lag(w.stories) OVER (PARTITION BY w.label ORDER BY w.week_start) AS change,
       round(100.0 * w.stories / t.stories, 1) AS pct_of_week
FROM weekly w
JOIN week_total t USING (week_start)
ORDER BY w.week_start, w.stories DESC, topic;
