-- unique_key: every source key appears once (rows returned = offending keys)
-- Reads the CTE audited(ra, dec, _healpix_29, Norder, Npix, source_key, fluxes): one
-- catalog on canonical columns, built by xcat/store/verify.py from its registry row;
-- source_key is the key column (a row of the key columns when there are several).
SELECT source_key, count(*) AS n_rows
FROM audited
GROUP BY ALL
HAVING count(*) > 1
