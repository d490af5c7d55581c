/* What is trending (last 7 days against the 28 before, anchored on the newest story day) and the
   newest headlines behind each of the five hottest IPTC topics.
   (Starts with a block comment, not --, so `dateline sql "$(cat this.sql)"` does not read it as an option.) */
WITH hot AS (
    SELECT topic_key, label, recent_stories, expected_stories, score, anchor_day
    FROM v_trending_topics
    WHERE scheme = 'iptc' AND recent_stories > 0
    ORDER BY trend_rank
    LIMIT 5
),
recent AS (
    SELECT h.label, h.score, h.recent_stories, h.expected_stories, s.headline,
           strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
           row_number() OVER (PARTITION BY h.topic_key ORDER BY s.date_key DESC, s.headline) AS n
    FROM hot h
    JOIN bridge_story_topic b ON b.topic_key = h.topic_key
    JOIN fact_story s ON s.story_key = b.story_key AND s.duplicate_of IS NULL
    WHERE strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE > h.anchor_day - 7
      AND strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE <= h.anchor_day
)
SELECT label AS topic, score, recent_stories, expected_stories, day, headline
FROM recent
WHERE n <= 3
ORDER BY score DESC, topic, day DESC;
