-- source_hosts: which host galaxy each X-ray source lies in. Inside the host's ellipse
-- when it has one (semi-axes in arcmin, position angle N through E), else within its
-- radius_arcmin. r_norm is the elliptical (or circular) radius in units of the boundary:
-- <= 1 inside. A source inside several hosts gets one row per host; is_primary marks
-- the host with the smallest r_norm. Columns in the sibling .toml.
-- depends: xray_sources
CREATE OR REPLACE VIEW source_hosts AS
WITH h AS (
    SELECT host_id, name AS host, ra AS h_ra, dec AS h_dec,
           ellipse_a_arcmin, ellipse_b_arcmin, ellipse_pa_deg, radius_arcmin,
           (ellipse_a_arcmin > 0 AND ellipse_b_arcmin > 0) IS TRUE AS has_ellipse,
           CASE WHEN (ellipse_a_arcmin > 0 AND ellipse_b_arcmin > 0) IS TRUE
                THEN ellipse_a_arcmin ELSE radius_arcmin END AS reach_arcmin
    FROM hosts
    WHERE ra IS NOT NULL AND dec IS NOT NULL
      AND ((ellipse_a_arcmin > 0 AND ellipse_b_arcmin > 0) OR radius_arcmin > 0)
), near AS (
    SELECT s.catalog, s.kind, s.source_key, s.name, s.ra, s.dec, h.*,
           ang_sep_deg(s.ra, s.dec, h.h_ra, h.h_dec) * 60.0 AS sep_arcmin,
           degrees(atan2(
               sin(radians(s.ra - h.h_ra)) * cos(radians(s.dec)),
               cos(radians(h.h_dec)) * sin(radians(s.dec))
               - sin(radians(h.h_dec)) * cos(radians(s.dec)) * cos(radians(s.ra - h.h_ra))
           )) AS pa_deg
    FROM xray_sources AS s
    JOIN h ON s.dec BETWEEN h.h_dec - h.reach_arcmin / 60.0 AND h.h_dec + h.reach_arcmin / 60.0
), scored AS (
    SELECT *,
           CASE WHEN has_ellipse THEN sqrt(
                    pow(sep_arcmin * cos(radians(pa_deg - coalesce(ellipse_pa_deg, 0.0)))
                        / ellipse_a_arcmin, 2)
                  + pow(sep_arcmin * sin(radians(pa_deg - coalesce(ellipse_pa_deg, 0.0)))
                        / ellipse_b_arcmin, 2))
                ELSE sep_arcmin / radius_arcmin END AS r_norm
    FROM near
    WHERE sep_arcmin <= reach_arcmin
)
SELECT
    catalog,
    kind,
    source_key,
    name,
    host_id,
    host,
    sep_arcmin,
    pa_deg,
    r_norm,
    CASE WHEN has_ellipse THEN 'ellipse' ELSE 'radius' END AS membership,
    row_number() OVER (PARTITION BY catalog, source_key ORDER BY r_norm, sep_arcmin, host) = 1
        AS is_primary
FROM scored
WHERE r_norm <= 1.0
