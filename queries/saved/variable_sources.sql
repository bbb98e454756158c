-- title: Variable X-ray sources
-- description: Sources whose flux history (flux_variability, common band of the current conversion model) changed by at least min_ratio at min_sigma or more, or that were seen by one mission only with a deeper upper limit from another (transients). ratio_kind says when the ratio is a lower limit.
-- param min_ratio: Smallest brightest/faintest flux ratio [default: 10]
-- param min_sigma: Smallest significance of the change, in sigma [default: 3]
SELECT id_catalog, id_key, ratio, ratio_kind, significance, transient_candidate, f_max,
       f_max_mission, f_faint, limit_mission, n_detections, n_limits, missions, first_mjd,
       last_mjd, var_prob, common_band, conversion_model
FROM flux_variability
WHERE significance >= $min_sigma
  AND (ratio >= $min_ratio OR transient_candidate)
ORDER BY ratio DESC, significance DESC
