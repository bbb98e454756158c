-- hosts_adopted: every host with its adopted distance (the newest adoption wins) and its
-- aliases. Columns in the sibling .toml.
-- depends: (tables only)
CREATE OR REPLACE VIEW hosts_adopted AS
WITH adopted AS (
    SELECT host_id, arg_max(distance_id, adoption_id) AS distance_id,
           max(adopted_at) AS adopted_at
    FROM distance_adoptions
    GROUP BY host_id
), aliases AS (
    SELECT host_id, list(alias ORDER BY alias) AS aliases
    FROM host_aliases
    GROUP BY host_id
), counts AS (
    SELECT host_id, count(*) AS n_distances FROM host_distances GROUP BY host_id
)
SELECT
    h.host_id,
    h.name                  AS host,
    coalesce(al.aliases, []::VARCHAR[]) AS aliases,
    h.ra,
    h.dec,
    h.ellipse_a_arcmin,
    h.ellipse_b_arcmin,
    h.ellipse_pa_deg,
    h.radius_arcmin,
    d.distance_id,
    d.distance_mpc,
    d.distance_err_mpc,
    d.method                AS distance_method,
    d.reference             AS distance_ref,
    a.adopted_at,
    coalesce(c.n_distances, 0) AS n_distances,
    h.origin
FROM hosts AS h
LEFT JOIN adopted AS a USING (host_id)
LEFT JOIN host_distances AS d ON d.distance_id = a.distance_id
LEFT JOIN aliases AS al USING (host_id)
LEFT JOIN counts AS c USING (host_id)
