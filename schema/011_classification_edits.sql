-- 011: classification edits: a human event may give only some fields (a blank class is
-- carried from the person's earlier decision, NULL when there was none), and short user
-- IDs of X-ray sources are stored as aliases.

-- Short user IDs of X-ray sources (XRBID's CXO001, or M101X001), accepted wherever a
-- source name is. alias_key is alias_key(alias): upper case, spaces and underscores out.
CREATE TABLE source_aliases (
    catalog    VARCHAR NOT NULL,
    alias_key  VARCHAR NOT NULL,
    alias      VARCHAR NOT NULL,
    source_key VARCHAR NOT NULL,
    origin     VARCHAR,                        -- manual, or the notes file it came from
    added_at   TIMESTAMP NOT NULL,             -- UTC
    PRIMARY KEY (catalog, alias_key)
);

ALTER TABLE classification_events ALTER COLUMN class DROP NOT NULL;
