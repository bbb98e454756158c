-- coordinates_in_range: RA in [0, 360], Dec in [-90, 90], neither missing
-- Reads the CTE audited(ra, dec, _healpix_29, Norder, Npix, source_key, fluxes): one
-- catalog on canonical columns, built by xcat/store/verify.py from its registry row.
SELECT ra, dec, _healpix_29
FROM audited
WHERE ra IS NULL OR dec IS NULL OR isnan(ra) OR isnan(dec)
   OR ra < 0 OR ra > 360 OR dec < -90 OR dec > 90
