-- 017: sky coverage from sensitivity (limiting-flux) maps, on the store's HEALPix grid
-- One row per map file ingested (provenance): the band it holds, the grid order it was
-- resampled to, how, and when. Every map of a band uses the same order.
CREATE SEQUENCE coverage_map_ids START 1;
CREATE TABLE coverage_maps (
    map_id       INTEGER PRIMARY KEY DEFAULT nextval('coverage_map_ids'),
    band         VARCHAR NOT NULL,             -- '0.5-7.0 keV' (the xray_sources.band style)
    emin_kev     DOUBLE NOT NULL,
    emax_kev     DOUBLE NOT NULL,
    norder       INTEGER NOT NULL,             -- HEALPix order of the coverage pixels
    file         VARCHAR NOT NULL,             -- file name as given
    path         VARCHAR NOT NULL,             -- absolute path when ingested
    sha256       VARCHAR NOT NULL,
    hdu          INTEGER NOT NULL,
    map_kind     VARCHAR NOT NULL,             -- wcs (FITS image) or healpix
    map_unit     VARCHAR NOT NULL,             -- unit of the map's values (BUNIT or given)
    map_pixel_arcsec DOUBLE NOT NULL,          -- side of a map pixel
    resampling   VARCHAR NOT NULL,             -- how a coverage pixel's limit was made
    n_pixels     BIGINT NOT NULL,              -- coverage pixels the map covers
    added_at     TIMESTAMP NOT NULL
);
-- The limit of each map in each coverage pixel it covers (erg/s/cm2): the median over the
-- covered part of the pixel, and the fraction of the pixel the map covers. The
-- sky_coverage view keeps the deepest (lowest) limit per band and pixel over all maps.
CREATE TABLE coverage_pixels (
    map_id     INTEGER NOT NULL,
    pixel      BIGINT NOT NULL,                -- nested HEALPix index at coverage_maps.norder
    ra         DOUBLE NOT NULL,                -- deg, pixel centre (ICRS)
    dec        DOUBLE NOT NULL,
    limit_flux DOUBLE NOT NULL,                -- erg / (s cm2)
    covered_fraction DOUBLE NOT NULL           -- (0, 1]: part of the pixel with coverage
);
