-- 016: the margin cache of each catalog (issue 13)
-- Every catalog version has a HATS margin catalog in its margin/ folder: the rows of other
-- partitions within margin_arcsec of each partition (LSDB's margin_cache, and what the
-- partition-wise cross-match reads beside each partition). NULL: no margin cache (catalogs
-- ingested before this migration; `xcat margin NAME --threshold ANGLE` builds one).
ALTER TABLE catalogs ADD COLUMN margin_arcsec DOUBLE;
