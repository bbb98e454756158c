-- title: X-ray luminosity function
-- description: Every X-ray source of a host with its luminosity, brightest first, and the cumulative number of detected sources at least as luminous (upper limits are listed, not counted).
-- param host: Host galaxy name or alias (e.g. M101)
WITH members AS (
    SELECT l.* FROM luminosities AS l
    WHERE l.host = (SELECT h.host FROM hosts_adopted AS h JOIN host_aliases AS a USING (host_id)
                    WHERE a.alias_key = alias_key($host))
      AND l.log_lx IS NOT NULL
)
SELECT host, name, band, log_lx, log_lx_lo, log_lx_hi, lx_upper_limit, distance_mpc,
       CASE WHEN NOT lx_upper_limit
            THEN count(*) FILTER (WHERE NOT lx_upper_limit)
                 OVER (ORDER BY log_lx DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
       END AS n_brighter_or_equal
FROM members
ORDER BY log_lx DESC
