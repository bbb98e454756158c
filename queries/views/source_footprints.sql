-- source_footprints: whether each X-ray source lies inside each image footprint (XRBID's
-- Bounds In/Out). Footprints are polygons with great-circle edges; vertices and sources
-- are projected gnomonically about the footprint's centre, where great circles are
-- straight lines, and an even-odd ray test decides. A footprint made from an image with
-- data uses the boundary of its valid pixels (footprint_edges: chip gaps, NaN corners,
-- low weight) instead of the outline. Columns in the sibling .toml.
-- depends: xray_sources
CREATE OR REPLACE VIEW source_footprints AS
WITH v AS (
    SELECT fv.footprint, fv.position, f.ra AS f_ra, f.dec AS f_dec,
           cos(radians(f.dec)) * sin(radians(fv.dec))
             - sin(radians(f.dec)) * cos(radians(fv.dec)) * cos(radians(fv.ra - f.ra)) AS yn,
           cos(radians(fv.dec)) * sin(radians(fv.ra - f.ra)) AS xn,
           sin(radians(f.dec)) * sin(radians(fv.dec))
             + cos(radians(f.dec)) * cos(radians(fv.dec)) * cos(radians(fv.ra - f.ra)) AS cc
    FROM footprint_vertices AS fv
    JOIN footprints AS f ON f.name = fv.footprint
), pv AS (
    SELECT footprint, position, xn / cc AS x, yn / cc AS y FROM v
), outline AS (
    SELECT footprint, x AS x1, y AS y1,
           coalesce(lead(x) OVER w, first_value(x) OVER w) AS x2,
           coalesce(lead(y) OVER w, first_value(y) OVER w) AS y2
    FROM pv
    WINDOW w AS (PARTITION BY footprint ORDER BY position
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
), me AS (  -- mask boundary segments, projected like the vertices
    SELECT e.footprint,
           cos(radians(e.dec1)) * sin(radians(e.ra1 - f.ra)) AS xn1,
           cos(radians(f.dec)) * sin(radians(e.dec1))
             - sin(radians(f.dec)) * cos(radians(e.dec1)) * cos(radians(e.ra1 - f.ra)) AS yn1,
           sin(radians(f.dec)) * sin(radians(e.dec1))
             + cos(radians(f.dec)) * cos(radians(e.dec1)) * cos(radians(e.ra1 - f.ra)) AS cc1,
           cos(radians(e.dec2)) * sin(radians(e.ra2 - f.ra)) AS xn2,
           cos(radians(f.dec)) * sin(radians(e.dec2))
             - sin(radians(f.dec)) * cos(radians(e.dec2)) * cos(radians(e.ra2 - f.ra)) AS yn2,
           sin(radians(f.dec)) * sin(radians(e.dec2))
             + cos(radians(f.dec)) * cos(radians(e.dec2)) * cos(radians(e.ra2 - f.ra)) AS cc2
    FROM footprint_edges AS e
    JOIN footprints AS f ON f.name = e.footprint
), edges AS (
    SELECT o.* FROM outline AS o
    WHERE o.footprint NOT IN (SELECT DISTINCT footprint FROM footprint_edges)
    UNION ALL
    SELECT footprint, xn1 / cc1, yn1 / cc1, xn2 / cc2, yn2 / cc2 FROM me
), pairs AS (
    SELECT s.catalog, s.source_key, s.name, f.name AS footprint,
           ang_sep_deg(s.ra, s.dec, f.ra, f.dec) <= f.radius_deg AS near,
           sin(radians(f.dec)) * sin(radians(s.dec))
             + cos(radians(f.dec)) * cos(radians(s.dec)) * cos(radians(s.ra - f.ra)) AS cc,
           cos(radians(s.dec)) * sin(radians(s.ra - f.ra)) AS xn,
           cos(radians(f.dec)) * sin(radians(s.dec))
             - sin(radians(f.dec)) * cos(radians(s.dec)) * cos(radians(s.ra - f.ra)) AS yn
    FROM xray_sources AS s
    CROSS JOIN footprints AS f
), crossings AS (
    SELECT p.catalog, p.source_key, p.footprint,
           count_if(((e.y1 > p.yn / p.cc) <> (e.y2 > p.yn / p.cc))
                    AND p.xn / p.cc < (e.x2 - e.x1) * (p.yn / p.cc - e.y1) / (e.y2 - e.y1) + e.x1)
               AS n_cross
    FROM pairs AS p
    JOIN edges AS e ON e.footprint = p.footprint
    WHERE p.near AND p.cc > 0
    GROUP BY ALL
)
SELECT p.catalog, p.source_key, p.name, p.footprint,
       coalesce(c.n_cross % 2 = 1, FALSE) AS inside,
       CASE WHEN coalesce(c.n_cross % 2 = 1, FALSE) THEN 'In' ELSE 'Out' END AS bounds
FROM pairs AS p
LEFT JOIN crossings AS c USING (catalog, source_key, footprint)
