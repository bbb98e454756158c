-- The X-ray sources of a host (primary host only) with luminosity and current class
SELECT x.catalog, x.source_key, x.name, x.ra, x.dec, x.hr1, x.hr1_lo, x.hr1_hi, x.hr2,
       x.hr2_lo, x.hr2_hi, x.var_prob, l.log_lx, l.lx_upper_limit AS upper_limit, l.host,
       coalesce(c.class, 'unclassified') AS class
FROM source_hosts AS sh
JOIN xray_sources AS x USING (catalog, source_key)
LEFT JOIN luminosities AS l USING (catalog, source_key)
LEFT JOIN classification_current AS c USING (catalog, source_key)
WHERE sh.is_primary AND sh.host = $host_name
