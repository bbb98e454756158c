-- 002: SQL helpers stored in the DuckDB file so any SQL tool (duckdb CLI, DBeaver) can use them
-- ang_sep_deg: great-circle distance in degrees (Vincenty formula, as astropy's).
CREATE OR REPLACE MACRO ang_sep_deg(ra1, dec1, ra2, dec2) AS
    degrees(atan2(
        sqrt(pow(cos(radians(dec2)) * sin(radians(ra2 - ra1)), 2)
             + pow(cos(radians(dec1)) * sin(radians(dec2))
                   - sin(radians(dec1)) * cos(radians(dec2)) * cos(radians(ra2 - ra1)), 2)),
        sin(radians(dec1)) * sin(radians(dec2))
            + cos(radians(dec1)) * cos(radians(dec2)) * cos(radians(ra2 - ra1))));
-- healpix_parent: the nested pixel at order k containing an order-29 index
CREATE OR REPLACE MACRO healpix_parent(h29, k) AS h29 >> (2 * (29 - k));
