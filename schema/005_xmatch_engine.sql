-- 005: cross-match engine: per-pair error-aware columns, catalog versions per run, SQL match macro
-- xmatch_runs gains the versions (sha256 + ingest time) and sizes of both catalogs.
ALTER TABLE xmatch_runs ADD COLUMN left_version VARCHAR;    -- sha256 of the left catalog's input
ALTER TABLE xmatch_runs ADD COLUMN right_version VARCHAR;   -- sha256 of the right catalog's input
ALTER TABLE xmatch_runs ADD COLUMN left_created TIMESTAMP;  -- registry 'created' of the left catalog
ALTER TABLE xmatch_runs ADD COLUMN right_created TIMESTAMP; -- registry 'created' of the right catalog
ALTER TABLE xmatch_runs ADD COLUMN n_left BIGINT;           -- rows of the left catalog matched
ALTER TABLE xmatch_runs ADD COLUMN n_right BIGINT;          -- rows of the right catalog matched

-- Per pair (NULL where the run's method does not compute it; xmatch_pairs.probability is
-- the association probability p_i of the likelihood-ratio option).
ALTER TABLE xmatch_pairs ADD COLUMN norm_sep DOUBLE;            -- sep / combined 1-sigma (ellipse-aware)
ALTER TABLE xmatch_pairs ADD COLUMN pa_deg DOUBLE;              -- position angle left -> right, deg E of N
ALTER TABLE xmatch_pairs ADD COLUMN match_radius_arcsec DOUBLE; -- radius the pair was tested against
ALTER TABLE xmatch_pairs ADD COLUMN rho_arcsec2 DOUBLE;         -- local right-catalog density, arcsec^-2
ALTER TABLE xmatch_pairs ADD COLUMN p_chance DOUBLE;            -- 1 - exp(-pi sep^2 rho)
ALTER TABLE xmatch_pairs ADD COLUMN lr DOUBLE;                  -- likelihood ratio c f(r) / rho
ALTER TABLE xmatch_pairs ADD COLUMN p_any DOUBLE;               -- P(left source has any counterpart)
ALTER TABLE xmatch_pairs ADD COLUMN mutual_best BOOLEAN;        -- nearest both ways

-- xmatch_zones(left_table, right_table, radius_arcsec): every pair within radius_arcsec
-- of two tables (or views) that have columns ra, dec (deg). Declination zones of height
-- radius (equi-join on the zone and its two neighbours), an RA window that wraps at
-- 0/360 and opens fully near the poles, then the exact great-circle test (ang_sep_deg).
-- Rows come back whole as structs: left_row.<col>, right_row.<col>, plus sep_arcsec.
--   SELECT left_row.name, right_row.region_id, sep_arcsec
--   FROM xmatch_zones('csc', 'hst_f555w', 3.0) ORDER BY 1, 3;
CREATE OR REPLACE MACRO xmatch_zones(left_table, right_table, radius_arcsec) AS TABLE
WITH
    params AS (SELECT radius_arcsec / 3600.0 AS rdeg),
    lz AS (
        SELECT l AS left_row, l.ra AS lra, l.dec AS ldec,
               CAST(floor((l.dec + 90.0) / p.rdeg) AS BIGINT) + dz.d AS zone,
               CASE WHEN abs(l.dec) + p.rdeg >= 89.999 THEN 180.0
                    ELSE degrees(asin(least(1.0, sin(radians(p.rdeg))
                                              / cos(radians(abs(l.dec) + p.rdeg))))) * 1.0000001
                         + 1e-9 END AS alpha
        FROM query_table(left_table) AS l, params AS p,
             (SELECT unnest([-1, 0, 1]) AS d) AS dz
    ),
    rz AS (
        SELECT r AS right_row, r.ra AS rra, r.dec AS rdec,
               CAST(floor((r.dec + 90.0) / p.rdeg) AS BIGINT) AS zone
        FROM query_table(right_table) AS r, params AS p
    )
SELECT lz.left_row, rz.right_row,
       ang_sep_deg(lz.lra, lz.ldec, rz.rra, rz.rdec) * 3600.0 AS sep_arcsec
FROM lz JOIN rz ON lz.zone = rz.zone
WHERE abs(((rz.rra - lz.lra) % 360.0 + 540.0) % 360.0 - 180.0) <= lz.alpha
  AND ang_sep_deg(lz.lra, lz.ldec, rz.rra, rz.rdec) * 3600.0 <= radius_arcsec;
