-- sky_coverage: the deepest limiting flux in each HEALPix pixel of each band over every
-- ingested sensitivity map (coverage_maps, coverage_pixels). A pixel is covered when
-- some map covers it; limit_flux is the lowest of the maps' limits there (ties: the
-- earliest map), map_id/map_file name that map, n_maps counts the maps covering it,
-- covered_fraction is the largest part of the pixel any map covers (the union is at
-- least that) and area_deg2 = pixel_area_deg2 * covered_fraction.
-- Source rows join on (_healpix_29 >> 2 * (29 - norder)) = pixel. Columns in the .toml.
-- depends: (tables only)
CREATE OR REPLACE VIEW sky_coverage AS
WITH p AS (
    SELECT m.band, m.emin_kev, m.emax_kev, m.norder, c.pixel, c.ra, c.dec, c.limit_flux,
           c.covered_fraction, c.map_id, m.file
    FROM coverage_pixels AS c
    JOIN coverage_maps AS m USING (map_id)
)
SELECT
    band,
    any_value(emin_kev) AS emin_kev,
    any_value(emax_kev) AS emax_kev,
    norder,
    pixel,
    any_value(ra) AS ra,
    any_value(dec) AS dec,
    4.0 * pi() * pow(degrees(1.0), 2) / (12.0 * pow(4.0, norder)) AS pixel_area_deg2,
    4.0 * pi() * pow(degrees(1.0), 2) / (12.0 * pow(4.0, norder)) * max(covered_fraction)
        AS area_deg2,
    max(covered_fraction) AS covered_fraction,
    min(limit_flux) AS limit_flux,
    arg_min(map_id, [limit_flux, map_id::DOUBLE]) AS map_id,
    arg_min(file, [limit_flux, map_id::DOUBLE]) AS map_file,
    count(*) AS n_maps,
    pixel::BIGINT << (2 * (29 - norder)) AS healpix29_lo,
    (pixel::BIGINT + 1) << (2 * (29 - norder)) AS healpix29_hi
FROM p
GROUP BY band, norder, pixel
