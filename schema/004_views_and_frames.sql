-- 004: column documentation of derived views, and astrometric-frame errors per catalog
CREATE TABLE view_columns (
    view        VARCHAR NOT NULL,   -- e.g. xray_sources
    position    INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    unit        VARCHAR,
    description VARCHAR
);

-- The astrometric-frame (X-ray to reference) tie error of a catalog, 1-sigma, arcsec:
-- sigma_ast = sqrt(sigma_x^2 + sigma_y^2) of the tie residuals (XRBID's procedure).
-- Combined in quadrature with the Kim et al. (2007) radii in <csc>_position_errors.
CREATE TABLE astrometric_frames (
    catalog          VARCHAR NOT NULL,
    sigma_ast_arcsec DOUBLE NOT NULL,
    reference        VARCHAR,          -- what the frame was tied to (e.g. HST/ACS F555W)
    note             VARCHAR,
    set_at           TIMESTAMP NOT NULL  -- UTC
);
