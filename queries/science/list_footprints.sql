-- Footprints with their vertex count
SELECT f.name, f.ra, f.dec, f.radius_deg, count(v.position) AS n_vertices, f.origin, f.added_at
FROM footprints AS f LEFT JOIN footprint_vertices AS v ON v.footprint = f.name
GROUP BY ALL ORDER BY f.name
