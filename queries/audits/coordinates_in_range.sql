-- coordinates_in_range: RA in [0, 360], Dec in [-90, 90], neither missing
SELECT {ra} AS ra, {dec} AS dec, _healpix_29
FROM {catalog}
WHERE {ra} IS NULL OR {dec} IS NULL OR isnan({ra}) OR isnan({dec})
   OR {ra} < 0 OR {ra} > 360 OR {dec} < -90 OR {dec} > 90
