-- source_distances_adopted: every source with an adopted distance of its own (the newest
-- adoption wins; a withdrawal, distance_id NULL, removes the source). Columns in the
-- sibling .toml.
-- depends: (tables only)
CREATE OR REPLACE VIEW source_distances_adopted AS
WITH adopted AS (
    SELECT catalog, source_key, arg_max_null(distance_id, adoption_id) AS distance_id,
           max(adopted_at) AS adopted_at
    FROM source_distance_adoptions
    GROUP BY catalog, source_key
), counts AS (
    SELECT catalog, source_key, count(*) AS n_distances
    FROM source_distances GROUP BY catalog, source_key
)
SELECT
    a.catalog,
    a.source_key,
    d.distance_id,
    d.distance_pc,
    d.distance_lo_pc,
    d.distance_hi_pc,
    d.method                AS distance_method,
    d.reference             AS distance_ref,
    d.counterpart_catalog,
    d.counterpart_key,
    d.run,
    d.sep_arcsec,
    d.parallax_mas,
    d.parallax_err_mas,
    a.adopted_at,
    coalesce(c.n_distances, 0) AS n_distances
FROM adopted AS a
JOIN source_distances AS d ON d.distance_id = a.distance_id
LEFT JOIN counts AS c ON c.catalog = a.catalog AND c.source_key = a.source_key
