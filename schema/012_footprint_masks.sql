-- 012: footprints follow the image's valid data (finite, non-zero, optional weight map
-- and minimum weight): the boundary of the valid pixels is stored as sky segments, and
-- source_footprints counts them instead of the outline's edges when a footprint has any.
CREATE TABLE footprint_edges (
    footprint VARCHAR NOT NULL,
    ra1       DOUBLE NOT NULL,                 -- deg, segment start (a great circle to the end)
    dec1      DOUBLE NOT NULL,
    ra2       DOUBLE NOT NULL,                 -- deg, segment end
    dec2      DOUBLE NOT NULL
);
-- How the valid-data mask was made ('finite, non-zero; weight >= 0.5 from wht.fits'), the
-- fraction of the pixels it keeps; NULL for a polygon or a header without data.
ALTER TABLE footprints ADD COLUMN mask VARCHAR;
ALTER TABLE footprints ADD COLUMN valid_fraction DOUBLE;
DROP VIEW IF EXISTS xray_sources;
