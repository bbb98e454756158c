-- title: Clean X-ray binary candidates
-- description: X-ray sources of a host that lie inside its image footprint (where one is recorded), are not flagged as supernova-remnant candidates (unless a person classified them: humans win over rules), and are not classified as a foreground star, AGN or background galaxy, nucleus, star cluster or SNR; with luminosities.
-- param host: Host galaxy name or alias (e.g. M101)
WITH host AS (
    SELECT h.host FROM hosts_adopted AS h JOIN host_aliases AS a USING (host_id)
    WHERE a.alias_key = alias_key($host)
),
members AS (
    SELECT sh.catalog, sh.source_key FROM source_hosts AS sh
    WHERE sh.is_primary AND sh.host = (SELECT host FROM host)
),
outside AS (
    SELECT catalog, source_key FROM source_footprints GROUP BY ALL HAVING NOT bool_or(inside)
),
human AS (
    SELECT catalog, source_key FROM classification_current
    WHERE class_by_person
),
flagged AS (  -- a rule's flag counts only where no person has classified the source
    SELECT catalog, source_key FROM source_flags
    ANTI JOIN human USING (catalog, source_key)
    WHERE state = 'true' AND proposes IN ('(SNR)', 'SNR')
),
excluded_class AS (
    SELECT catalog, source_key, class FROM classification_current
    WHERE class IN ('Star', 'AGN', 'GAL', 'AGN/GAL', 'Quasar', 'Nucleus', 'Cluster', 'SNR',
                    '(SNR)')
)
SELECT x.name, x.ra, x.dec, x.pos_err_r95, l.log_lx, l.log_lx_lo, l.log_lx_hi,
       l.lx_upper_limit, x.hr1 AS hard_hs, x.hr2 AS hard_hm, x.var_prob,
       c.class AS current_class
FROM members AS m
ANTI JOIN outside USING (catalog, source_key)
ANTI JOIN flagged USING (catalog, source_key)
ANTI JOIN excluded_class USING (catalog, source_key)
JOIN xray_sources AS x USING (catalog, source_key)
LEFT JOIN luminosities AS l USING (catalog, source_key)
LEFT JOIN classification_current AS c USING (catalog, source_key)
ORDER BY l.log_lx DESC NULLS LAST
