-- registry_row_count: the registry's row count equals the rows on disk
-- Reads the CTE audited(ra, dec, _healpix_29, Norder, Npix, source_key, fluxes): one
-- catalog on canonical columns, built by xcat/store/verify.py from its registry row.
SELECT $name AS catalog, $n_rows AS registry_rows, count(*) AS disk_rows
FROM audited
HAVING count(*) <> $n_rows
