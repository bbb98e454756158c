-- What the audits need to know about each catalog
SELECT c.name, c.n_rows, c.ra_column, c.dec_column, c.key_columns, c.sha256, c.n_partitions,
       list(cc.name ORDER BY cc.position) FILTER (WHERE cc.unit = 'erg / (s cm2)')
           AS flux_columns
FROM catalogs c LEFT JOIN catalog_columns cc ON cc.catalog = c.name
GROUP BY ALL
ORDER BY c.name
