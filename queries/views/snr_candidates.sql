-- snr_candidates: X-ray-selected supernova-remnant candidates, i.e. the sources the rule
-- snr_hr_lx flags true (Hunt et al. 2021: hr1 <= -0.75 and log Lx <= 37.5, thresholds in
-- flag_rule_conditions), with their host, hardness ratio and luminosity. The sources
-- whose flag is unknown are in source_flags (state = 'unknown'). Humans win over the
-- rule: a source a person classified is a candidate only when that class is SNR or
-- (SNR) (whatever the rule says); decided_by says which made it one. Columns in the
-- sibling .toml.
-- depends: xray_sources, source_flags, luminosities, classification_current
CREATE OR REPLACE VIEW snr_candidates AS
SELECT f.catalog, f.source_key, f.name, l.host, l.distance_mpc, s.ra, s.dec,
       s.hr1, s.hr1_lo, s.hr1_hi, s.hr1_bands, l.band, l.flux, l.lx, l.log_lx, l.log_lx_lo,
       l.log_lx_hi, l.lx_upper_limit, f.criteria, f.reference, f.state AS rule_state,
       h.class AS human_class, CASE WHEN h.class IS NULL THEN 'rule' ELSE 'person' END
           AS decided_by
FROM source_flags AS f
JOIN luminosities AS l USING (catalog, source_key)
JOIN xray_sources AS s USING (catalog, source_key)
LEFT JOIN (SELECT catalog, source_key, class FROM classification_current
           WHERE class_by_person) AS h USING (catalog, source_key)
WHERE f.rule = 'snr_hr_lx'
  AND (CASE WHEN h.class IS NULL THEN f.state = 'true' ELSE h.class IN ('SNR', '(SNR)') END)
