-- Help center: article translations, readers' votes and the admin-edited synonyms table.
-- Lists (related, keywords) are JSON arrays in TEXT so both backends read them alike.

CREATE TABLE help_articles (
    slug          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    title         TEXT NOT NULL,
    category      TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    status        TEXT NOT NULL,
    related       TEXT NOT NULL,
    keywords      TEXT NOT NULL,
    body          TEXT NOT NULL,
    updated_at_us BIGINT,
    PRIMARY KEY (slug, locale)
);

CREATE TABLE help_votes (
    id            TEXT PRIMARY KEY,
    slug          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    helpful       BIGINT NOT NULL,
    comment       TEXT,
    created_at_us BIGINT NOT NULL
);
CREATE INDEX help_votes_by_slug ON help_votes (slug);

-- One row (id = 1) holding the synonyms table as TOML.
CREATE TABLE help_synonyms (
    id            BIGINT PRIMARY KEY,
    body          TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
