-- Positions of one catalog for the cross-match engine. Template filled by xcat/xmatch_store.py:
-- {table} is a quoted catalog name, {key} a key expression over quoted columns, {ra}/{dec}
-- quoted columns, {sigma} a quoted 1-sigma error column (arcsec) or NULL, {radius} a quoted
-- per-source radius column (arcsec) or NULL.
SELECT CAST({key} AS VARCHAR)  AS key,
       CAST({ra} AS DOUBLE)    AS ra,
       CAST({dec} AS DOUBLE)   AS dec,
       CAST({sigma} AS DOUBLE) AS sigma,
       CAST({radius} AS DOUBLE) AS radius,
       CAST(NULL AS DOUBLE)    AS ellipse_a,
       CAST(NULL AS DOUBLE)    AS ellipse_b,
       CAST(NULL AS DOUBLE)    AS ellipse_pa
FROM {table}
