-- Dateline warehouse, version 1: the star schema of the contract plus the ETL bookkeeping tables.
-- Times are TIMESTAMPTZ in UTC. A source date known only to the day is kept as a DATE in *_day with
-- *_precision = 'day' and a NULL *_at: the warehouse never invents 00:00.

CREATE TABLE IF NOT EXISTS dim_source (
    source_key   BIGINT PRIMARY KEY,      -- stable hash of name
    name         VARCHAR NOT NULL UNIQUE,
    kind         VARCHAR NOT NULL,        -- feed | sitemap | page | file
    url          VARCHAR,                 -- the URL or file glob the source reads
    domain       VARCHAR
);

CREATE TABLE IF NOT EXISTS dim_date (
    date_key     INTEGER PRIMARY KEY,     -- yyyymmdd
    date         DATE NOT NULL,
    year         SMALLINT NOT NULL,
    quarter      TINYINT NOT NULL,
    month        TINYINT NOT NULL,
    iso_year     SMALLINT NOT NULL,
    iso_week     TINYINT NOT NULL,
    day_of_week  TINYINT NOT NULL          -- ISO: 1 = Monday
);

CREATE TABLE IF NOT EXISTS dim_topic (
    topic_key        BIGINT PRIMARY KEY,  -- stable hash of scheme + topic_id
    topic_id         VARCHAR NOT NULL,    -- 'medtop:04000000' or a source's own section/category
    label            VARCHAR NOT NULL,
    scheme           VARCHAR NOT NULL,    -- iptc | source
    parent_topic_key BIGINT,
    level            TINYINT
);

CREATE TABLE IF NOT EXISTS dim_entity (
    entity_key   BIGINT PRIMARY KEY,      -- stable hash of entity_id
    entity_id    VARCHAR NOT NULL UNIQUE, -- natural key, e.g. 'person:asif ali zardari'
    name         VARCHAR NOT NULL,
    entity_type  VARCHAR NOT NULL,        -- person | organization | place
    country_code VARCHAR                  -- ISO 3166-1 alpha-2, places only
);

CREATE TABLE IF NOT EXISTS dim_author (
    author_key   BIGINT PRIMARY KEY,      -- stable hash of the folded name
    name         VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS fact_story (
    story_key           BIGINT PRIMARY KEY,  -- stable hash of story_id
    story_id            VARCHAR NOT NULL UNIQUE, -- 'url:<normalised canonical url>' or 'dump:<source>|<headline>|<day>'
    source_key          BIGINT NOT NULL,
    date_key            INTEGER NOT NULL,    -- best-known publication day, see date_basis
    date_basis          VARCHAR NOT NULL,    -- published | updated | first_seen
    published_at        TIMESTAMPTZ,
    published_day       DATE,
    published_precision VARCHAR,             -- instant | day
    updated_at          TIMESTAMPTZ,
    updated_day         DATE,
    updated_precision   VARCHAR,
    first_seen_at       TIMESTAMPTZ NOT NULL,
    url                 VARCHAR,
    headline            VARCHAR NOT NULL,
    summary             VARCHAR[],
    dateline            VARCHAR,
    section             VARCHAR,
    language            VARCHAR,
    image_caption       VARCHAR,
    body                VARCHAR NOT NULL,
    word_count          INTEGER NOT NULL,
    content_hash        VARCHAR NOT NULL,
    version             INTEGER NOT NULL,
    duplicate_of        BIGINT               -- story_key of the original when this is a republished wire copy
);

CREATE TABLE IF NOT EXISTS fact_story_version (
    story_key     BIGINT NOT NULL,
    version       INTEGER NOT NULL,
    content_hash  VARCHAR NOT NULL,
    updated_at    TIMESTAMPTZ,
    updated_day   DATE,
    headline      VARCHAR NOT NULL,
    seen_at       TIMESTAMPTZ NOT NULL
);

-- Bridges carry no primary key: a story's rows are replaced as a set inside the load transaction.
CREATE TABLE IF NOT EXISTS bridge_story_topic (
    story_key BIGINT NOT NULL,
    topic_key BIGINT NOT NULL,
    score     DOUBLE NOT NULL,
    evidence  VARCHAR
);

CREATE TABLE IF NOT EXISTS bridge_story_entity (
    story_key  BIGINT NOT NULL,
    entity_key BIGINT NOT NULL,
    mentions   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS bridge_story_author (
    story_key  BIGINT NOT NULL,
    author_key BIGINT NOT NULL,
    position   SMALLINT NOT NULL
);

CREATE TABLE IF NOT EXISTS fact_quote (
    story_key          BIGINT NOT NULL,
    quote              VARCHAR NOT NULL,
    speaker_entity_key BIGINT,
    speaker_name       VARCHAR
);

CREATE TABLE IF NOT EXISTS fact_date_mention (
    story_key      BIGINT NOT NULL,
    mentioned_date DATE NOT NULL,
    phrase         VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS etl_run (
    run_id        VARCHAR PRIMARY KEY,
    flow_run_id   VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,       -- running | completed | failed (a killed run stays 'running' until the next run marks it 'abandoned')
    found         INTEGER,
    fetched       INTEGER,
    parsed        INTEGER,
    new           INTEGER,
    updated       INTEGER,
    unchanged     INTEGER,
    duplicates    INTEGER,
    rejected      INTEGER,
    message       VARCHAR
);

CREATE TABLE IF NOT EXISTS etl_fetch (
    run_id        VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    final_url     VARCHAR,
    status_code   INTEGER,
    bytes         BIGINT,
    elapsed_ms    INTEGER,
    etag          VARCHAR,
    last_modified VARCHAR,
    not_modified  BOOLEAN,
    error         VARCHAR,
    archive_key   VARCHAR,
    fetched_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS etl_reject (
    run_id   VARCHAR NOT NULL,
    source   VARCHAR NOT NULL,
    locator  VARCHAR NOT NULL,            -- URL, path, or path#story-n
    stage    VARCHAR NOT NULL,            -- discover | fetch | parse | enrich | load
    reason   VARCHAR NOT NULL,
    detail   VARCHAR,
    seen_at  TIMESTAMPTZ NOT NULL
);

-- HTTP validators per URL, written in the same transaction as the stories they produced,
-- so a crash can never leave a 304 pointing at stories that were not loaded.
CREATE TABLE IF NOT EXISTS etl_http_state (
    url           VARCHAR PRIMARY KEY,
    etag          VARCHAR,
    last_modified VARCHAR,
    checked_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS etl_story_signature (
    story_key  BIGINT PRIMARY KEY,
    source_key BIGINT NOT NULL,
    signature  UBIGINT[] NOT NULL        -- MinHash of the body, for wire-copy detection across runs
);

-- Batches staged on disk while another process held the warehouse, merged by a later run;
-- recorded in the merge's own transaction so a crash after the commit never merges one twice.
CREATE TABLE IF NOT EXISTS etl_staged_batch (
    name      VARCHAR PRIMARY KEY,
    run_id    VARCHAR NOT NULL,
    merged_at TIMESTAMPTZ NOT NULL
);
