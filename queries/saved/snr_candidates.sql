-- title: Supernova-remnant candidates
-- description: Sources in a host flagged by the HR/Lx supernova-remnant rule (Hunt et al. 2021; thresholds in flag_rule_conditions), brightest first. A person's classification wins over the rule (decided_by).
-- param host: Host galaxy name or alias (e.g. M101)
SELECT name, ra, dec, hr1 AS hard_hs, hr1_lo AS hard_hs_lo, hr1_hi AS hard_hs_hi,
       log_lx, log_lx_lo, log_lx_hi, lx_upper_limit, distance_mpc, criteria, decided_by
FROM snr_candidates
WHERE host = (SELECT h.host FROM hosts_adopted AS h JOIN host_aliases AS a USING (host_id)
              WHERE a.alias_key = alias_key($host))
ORDER BY log_lx DESC
