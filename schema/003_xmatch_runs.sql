-- 003: cross-match runs and their pairs (TAP upload joins now; the cross-match engine later)
CREATE SEQUENCE xmatch_run_ids START 1;

-- One row per run: which catalogs, how, with what parameters, when, and how many pairs.
CREATE TABLE xmatch_runs (
    run_id        BIGINT PRIMARY KEY DEFAULT nextval('xmatch_run_ids'),
    name          VARCHAR NOT NULL,   -- unique among current runs; a re-run replaces it
    left_catalog  VARCHAR NOT NULL,   -- catalog whose key is xmatch_pairs.left_key
    right_catalog VARCHAR NOT NULL,   -- catalog whose key is xmatch_pairs.right_key
    method        VARCHAR NOT NULL,   -- e.g. 'tap_upload_cone' (service-side positional join)
    parameters    JSON,               -- radius_arcsec, service, adql, upload sha256 ...
    created       TIMESTAMP NOT NULL, -- UTC
    xcat_version  VARCHAR NOT NULL,
    n_pairs       BIGINT NOT NULL
);

-- One row per candidate pair. Keys are the catalogs' key values as text (registry
-- key_columns). sep_arcsec is computed by xcat (astropy) from the stored positions.
CREATE TABLE xmatch_pairs (
    run_id        BIGINT  NOT NULL,   -- xmatch_runs.run_id
    left_key      VARCHAR NOT NULL,
    right_key     VARCHAR NOT NULL,
    sep_arcsec    DOUBLE  NOT NULL,   -- great-circle separation of the two stored positions
    rank          INTEGER,            -- 1 = nearest right candidate of this left row
    n_candidates  INTEGER,            -- right candidates of this left row in this run
    probability   DOUBLE,             -- association probability (later methods; NULL here)
    flags         VARCHAR             -- method-specific notes (NULL here)
);
