-- Version 3: summary tables behind the analyst views. At a million stories the views aggregated every
-- bridge row on each query (0.2-7 s); these tables hold the views' rows, kept exact by every merge,
-- which recomputes only the rows its stories touch (warehouse/summaries.py, sql/summaries/). They are
-- derived data: `warehouse.summaries.rebuild` recreates them from the star schema at any time.

CREATE TABLE IF NOT EXISTS summary_story (      -- v_story: one per story, labels as lists
    story_key     BIGINT NOT NULL,
    source        VARCHAR NOT NULL,
    day           DATE NOT NULL,
    date_basis    VARCHAR NOT NULL,
    published     VARCHAR,
    headline      VARCHAR NOT NULL,
    topics        VARCHAR[] NOT NULL,
    sections      VARCHAR[] NOT NULL,
    people        VARCHAR[] NOT NULL,
    organizations VARCHAR[] NOT NULL,
    places        VARCHAR[] NOT NULL,
    authors       VARCHAR[] NOT NULL,
    dateline      VARCHAR,
    language      VARCHAR,
    word_count    INTEGER NOT NULL,
    url           VARCHAR,
    version       INTEGER NOT NULL,
    duplicate_of  BIGINT
);

CREATE TABLE IF NOT EXISTS summary_topic_daily (  -- v_topic_daily, and v_trending_topics from it
    date_key  INTEGER NOT NULL,
    topic_key BIGINT NOT NULL,
    stories   BIGINT NOT NULL,
    sources   BIGINT NOT NULL,
    avg_score DOUBLE
);

CREATE TABLE IF NOT EXISTS summary_topic_weekly ( -- v_topic_weekly
    week_start  DATE NOT NULL,
    topic_key   BIGINT NOT NULL,
    stories     BIGINT NOT NULL,
    sources     BIGINT NOT NULL,
    active_days BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS summary_entity_daily ( -- v_entity_daily
    date_key   INTEGER NOT NULL,
    entity_key BIGINT NOT NULL,
    stories    BIGINT NOT NULL,
    mentions   BIGINT NOT NULL,
    sources    BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS summary_entity (       -- v_entity_cooccurrence: stories naming each entity
    entity_key BIGINT NOT NULL,
    stories    BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS summary_entity_pair (  -- v_entity_cooccurrence: stories naming both
    entity_key  BIGINT NOT NULL,
    partner_key BIGINT NOT NULL,
    together    BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS summary_source_daily ( -- v_source_daily
    date_key         INTEGER NOT NULL,
    source_key       BIGINT NOT NULL,
    stories          BIGINT NOT NULL,
    wire_copies      BIGINT NOT NULL,
    words            BIGINT NOT NULL,
    untagged_stories BIGINT NOT NULL,
    iptc_topics      BIGINT NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL
);
