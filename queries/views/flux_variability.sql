-- flux_variability: long-term variability of each source identity from its flux history
-- (flux_history), on fluxes converted to the common band (flux_common*; rows without a
-- conversion factor are left out), one band per observation (flux_history.preferred_band). A catalog-level flux is left out when the same source
-- has per-observation fluxes (it combines them).
-- ratio = brightest detection / faintest flux: the faintest detection (ratio_kind
-- 'measured') or, when an upper limit is deeper than every detection, that limit
-- ('lower limit': the true ratio is at least this).
-- significance = (F1 - F2) / sqrt(s1^2 + s2^2), conservative with asymmetric bounds: s1
-- is the brighter flux's lower error (F1 - F1_lo) and s2 the fainter flux's upper error
-- (F2_hi - F2), the errors that face each other (the larger ones for Poisson-like
-- posteriors). Against a limit, F2 is the limit and s2 = 0.
-- transient_candidate: detected in one mission only, with a deeper limit from another.
-- var_prob: the largest catalog variability probability of the linked sources (CSC: max
-- of var_inter_prob_b and var_intra_prob_b).
-- Columns documented in the sibling .toml file.
-- depends: flux_history
CREATE OR REPLACE VIEW flux_variability AS
WITH h AS (
    SELECT * FROM flux_history AS fh
    WHERE fh.flux_common_hi IS NOT NULL AND fh.preferred_band
      AND NOT (fh.level = 'catalog' AND EXISTS (
          SELECT 1 FROM flux_observations AS o
          WHERE o.catalog = fh.catalog AND o.source_key = fh.source_key))
), seen AS (
    SELECT id_catalog, id_key, list_distinct(list(mission)) AS detected_in
    FROM h WHERE NOT flux_upper_limit AND flux_common > 0
    GROUP BY ALL
), agg AS (
    SELECT h.id_catalog, h.id_key,
           count(*) AS n_fluxes,
           count(*) FILTER (WHERE NOT h.flux_upper_limit AND h.flux_common > 0)
               AS n_detections,
           count(*) FILTER (WHERE h.flux_upper_limit) AS n_limits,
           string_agg(DISTINCT h.mission, ', ' ORDER BY h.mission) AS missions,
           min(h.mjd) AS first_mjd, max(h.mjd) AS last_mjd,
           max(h.flux_common) FILTER (WHERE NOT h.flux_upper_limit) AS f_max,
           arg_max(h.flux_common_lo, h.flux_common) FILTER (WHERE NOT h.flux_upper_limit)
               AS f_max_lo,
           arg_max(h.mission, h.flux_common) FILTER (WHERE NOT h.flux_upper_limit)
               AS f_max_mission,
           min(h.flux_common) FILTER (WHERE NOT h.flux_upper_limit AND h.flux_common > 0)
               AS f_min,
           arg_min(h.flux_common_hi, h.flux_common)
               FILTER (WHERE NOT h.flux_upper_limit AND h.flux_common > 0) AS f_min_hi,
           min(h.flux_common_hi) FILTER (WHERE h.flux_upper_limit) AS limit_min,
           arg_min(h.mission, h.flux_common_hi) FILTER (WHERE h.flux_upper_limit)
               AS limit_mission,
           min(h.flux_common_hi) FILTER (WHERE h.flux_upper_limit
               AND NOT list_contains(coalesce(s.detected_in, []), h.mission))
               AS limit_other_mission,
           max(h.var_prob) AS var_prob,
           any_value(h.common_band) AS common_band,
           any_value(h.conversion_model) AS conversion_model
    FROM h LEFT JOIN seen AS s USING (id_catalog, id_key)
    GROUP BY h.id_catalog, h.id_key
), judged AS (
    SELECT *, (limit_min IS NOT NULL AND f_max IS NOT NULL
               AND limit_min < coalesce(f_min, f_max)) AS against_limit
    FROM agg
)
SELECT id_catalog, id_key, n_fluxes, n_detections, n_limits, missions, first_mjd, last_mjd,
       f_max, f_max_lo, f_max_mission,
       CASE WHEN against_limit THEN limit_min ELSE f_min END AS f_faint,
       CASE WHEN against_limit THEN limit_min ELSE f_min_hi END AS f_faint_hi,
       CASE WHEN against_limit THEN limit_mission END AS limit_mission,
       CASE WHEN against_limit THEN f_max / limit_min
            WHEN n_detections >= 2 THEN f_max / f_min END AS ratio,
       CASE WHEN against_limit THEN 'lower limit'
            WHEN n_detections >= 2 THEN 'measured' END AS ratio_kind,
       CASE WHEN against_limit AND f_max > f_max_lo
                THEN (f_max - limit_min) / (f_max - f_max_lo)
            WHEN n_detections >= 2 AND (f_max > f_max_lo OR f_min_hi > f_min)
                THEN (f_max - f_min) / sqrt(power(f_max - f_max_lo, 2)
                                            + power(f_min_hi - f_min, 2))
       END AS significance,
       coalesce(len(s.detected_in) = 1 AND limit_other_mission < f_max, FALSE)
           AS transient_candidate,
       var_prob, common_band, conversion_model
FROM judged LEFT JOIN seen AS s USING (id_catalog, id_key)
