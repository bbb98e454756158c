-- 018: distances of individual sources (stars: a counterpart's Gaia parallax or a distance
-- catalog such as Bailer-Jones et al. 2021), kept beside the host-galaxy distances of 007.
-- The luminosities view uses a source's adopted distance when it has one, its host's
-- otherwise (column distance_origin).
CREATE SEQUENCE source_distance_ids START 1;
CREATE SEQUENCE source_distance_adoption_ids START 1;

-- Every distance estimate ever recorded for a source (append-only; several per source).
CREATE TABLE source_distances (
    distance_id         BIGINT PRIMARY KEY DEFAULT nextval('source_distance_ids'),
    catalog             VARCHAR NOT NULL,      -- catalog of the source (xray_sources.catalog)
    source_key          VARCHAR NOT NULL,      -- the source's key there
    distance_pc         DOUBLE NOT NULL,       -- pc
    distance_lo_pc      DOUBLE,                -- pc, lower bound of the 68% interval
    distance_hi_pc      DOUBLE,                -- pc, upper bound of the 68% interval
    method              VARCHAR NOT NULL,      -- 'parallax 1/plx', 'column r_med_geo' ...
    reference           VARCHAR,               -- bibcode or citation of the counterpart catalog
    counterpart_catalog VARCHAR,               -- catalog that gave the parallax or distance
    counterpart_key     VARCHAR,               -- the counterpart's key there
    run                 VARCHAR,               -- cross-match run that linked them (xmatch_runs.name)
    run_id              BIGINT,                -- xmatch_runs.run_id at the time
    sep_arcsec          DOUBLE,                -- separation source - counterpart in the run
    parallax_mas        DOUBLE,                -- mas, as used (zero point subtracted)
    parallax_err_mas    DOUBLE,                -- mas
    parameters          JSON,                  -- columns, quality cut, zero point, units
    added_at            TIMESTAMP NOT NULL     -- UTC
);

-- Which distance is adopted for a source: the newest row (highest adoption_id) per
-- (catalog, source_key) wins; a row with distance_id NULL withdraws the source's own
-- distance (the host's is used again).
CREATE TABLE source_distance_adoptions (
    adoption_id BIGINT PRIMARY KEY DEFAULT nextval('source_distance_adoption_ids'),
    catalog     VARCHAR NOT NULL,
    source_key  VARCHAR NOT NULL,
    distance_id BIGINT,                        -- source_distances.distance_id (NULL: withdrawn)
    adopted_at  TIMESTAMP NOT NULL,            -- UTC
    note        VARCHAR
);

-- xray_sources gains flux_origin/ecf/flux_err (count-rate fluxes per source) and
-- luminosities reads source_distances_adopted: dropping xray_sources makes the next open
-- rebuild every derived view in stores created before this migration.
DROP VIEW IF EXISTS xray_sources;
