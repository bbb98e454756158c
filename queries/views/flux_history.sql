-- flux_history: every flux known for each X-ray source identity (id_catalog, id_key):
-- its own per-observation fluxes (flux_observations) and catalog-level flux
-- (xray_sources), and those of its X-ray counterparts in stored cross-match runs
-- (best_counterparts, either direction; via_run names the run). Each flux is also
-- converted to the common band of the current band-conversion model (the newest
-- flux_models row) with the model's factor for its band (flux_conversions); the
-- model's label is on every row. A band without a factor has NULL converted values.
-- Catalog-level survey fluxes (2RXS, eRASS1) carry the survey's span (survey_epochs) as
-- their time; CSC master fluxes (all observations combined) have no time.
-- preferred_band marks one band per observation (or catalog flux): the one with a
-- conversion factor that overlaps the common band most, then the widest. Fluxes of
-- several bands of one observation converted with one spectral model disagree wherever
-- the source's spectrum differs from the model, so variability uses only these rows.
-- Columns documented in the sibling .toml file.
-- depends: xray_sources, best_counterparts
CREATE OR REPLACE VIEW flux_history AS
WITH xray_catalogs AS (
    SELECT DISTINCT catalog FROM xray_sources
), links AS (
    SELECT x.catalog AS id_catalog, x.source_key AS id_key, x.catalog, x.source_key,
           CAST(NULL AS VARCHAR) AS via_run, CAST(NULL AS DOUBLE) AS sep_arcsec
    FROM xray_sources AS x
    UNION
    SELECT o.catalog, o.source_key, o.catalog, o.source_key, NULL, NULL
    FROM flux_observations AS o
    UNION
    SELECT b.left_catalog, b.left_key, b.right_catalog, b.right_key, b.run, b.sep_arcsec
    FROM best_counterparts AS b
    WHERE b.left_catalog IN (SELECT catalog FROM xray_catalogs)
      AND b.right_catalog IN (SELECT catalog FROM xray_catalogs)
    UNION
    SELECT b.right_catalog, b.right_key, b.left_catalog, b.left_key, b.run, b.sep_arcsec
    FROM best_counterparts AS b
    WHERE b.left_catalog IN (SELECT catalog FROM xray_catalogs)
      AND b.right_catalog IN (SELECT catalog FROM xray_catalogs)
), observed AS (
    SELECT o.catalog, o.source_key, 'observation' AS level, o.obs_kind, o.obs_id,
           o.t_start, o.t_stop, o.mjd, o.exposure_s, o.band, o.emin_kev, o.emax_kev,
           o.flux, o.flux_lo, o.flux_hi, o.flux_upper_limit, o.instrument, o.mission,
           o.var_prob, o.origin
    FROM flux_observations AS o
), catalogued AS (
    SELECT x.catalog, x.source_key, 'catalog' AS level, CAST(NULL AS VARCHAR) AS obs_kind,
           CAST(NULL AS VARCHAR) AS obs_id, e.t_start, e.t_stop,
           epoch(e.t_start + (e.t_stop - e.t_start) / 2) / 86400.0 + 40587.0 AS mjd,
           CAST(NULL AS DOUBLE) AS exposure_s, x.band, x.emin_kev, x.emax_kev,
           x.flux, x.flux_lo, x.flux_hi, coalesce(x.flux_upper_limit, FALSE),
           coalesce(e.instrument, CASE x.kind WHEN 'csc' THEN 'ACIS/HRC' END) AS instrument,
           coalesce(e.mission, CASE x.kind WHEN 'csc' THEN 'Chandra' END) AS mission,
           x.var_prob, 'catalog ' || x.catalog AS origin
    FROM xray_sources AS x
    LEFT JOIN survey_epochs AS e ON e.kind = x.kind
    WHERE x.flux IS NOT NULL OR x.flux_hi IS NOT NULL
), fluxes AS (
    SELECT * FROM observed
    UNION ALL
    SELECT * FROM catalogued
), model AS (
    SELECT * FROM flux_models ORDER BY model_id DESC LIMIT 1
)
SELECT l.id_catalog, l.id_key, l.via_run, l.sep_arcsec, r.catalog, r.source_key, r.level,
       r.obs_kind, r.obs_id, r.t_start, r.t_stop, r.mjd, r.exposure_s, r.band,
       r.emin_kev, r.emax_kev, r.flux, r.flux_lo, r.flux_hi, r.flux_upper_limit,
       r.instrument, r.mission, r.var_prob, r.origin,
       f.factor AS conversion_factor,
       r.flux * f.factor AS flux_common, r.flux_lo * f.factor AS flux_common_lo,
       r.flux_hi * f.factor AS flux_common_hi,
       m.band AS common_band, m.emin_kev AS common_emin_kev, m.emax_kev AS common_emax_kev,
       m.model_id AS conversion_model_id, m.label AS conversion_model,
       row_number() OVER (
           PARTITION BY l.id_catalog, l.id_key, l.via_run, r.catalog, r.source_key, r.level,
                        r.obs_kind, r.obs_id
           ORDER BY f.factor IS NULL,
                    least(r.emax_kev, m.emax_kev) - greatest(r.emin_kev, m.emin_kev) DESC,
                    r.emax_kev - r.emin_kev DESC, r.band) = 1 AS preferred_band
FROM links AS l
JOIN fluxes AS r ON r.catalog = l.catalog AND r.source_key = l.source_key
CROSS JOIN model AS m
LEFT JOIN flux_conversions AS f
       ON f.model_id = m.model_id AND round(f.emin_kev, 6) = round(r.emin_kev, 6)
      AND round(f.emax_kev, 6) = round(r.emax_kev, 6)
