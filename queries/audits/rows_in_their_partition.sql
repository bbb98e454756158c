-- rows_in_their_partition: each row's _healpix_29 lies in the HEALPix pixel of its Npix folder
-- Reads the CTE audited(ra, dec, _healpix_29, Norder, Npix, source_key, fluxes): one
-- catalog on canonical columns, built by xcat/store/verify.py from its registry row.
SELECT Norder, Npix, _healpix_29
FROM audited
WHERE (_healpix_29 >> (2 * (29 - Norder))) <> Npix
