-- fluxes_nonnegative: energy-flux columns (unit erg/(s cm2)) are >= 0 where present
-- Reads the CTE audited(ra, dec, _healpix_29, Norder, Npix, source_key, fluxes): one
-- catalog on canonical columns, built by xcat/store/verify.py from its registry row;
-- fluxes lists a row's energy-flux values (list_min skips missing values).
SELECT source_key, fluxes
FROM audited
WHERE list_min(fluxes) < 0
