-- 015: cross-match pairs as Parquet under runs/, xmatch_pairs a view over them
-- Each run's pairs are one Parquet file, runs/<name>-<token>/pairs.parquet (sorted by
-- left_key, rank, right_key), written before the run's transaction; pairs_path names the
-- run's folder relative to the store (NULL for a run recorded before this migration).
ALTER TABLE xmatch_runs ADD COLUMN pairs_path VARCHAR;

-- Pairs recorded before this migration stay in their table, under a new name; the view
-- xmatch_pairs (rebuilt by xcat whenever a run is recorded, replaced or the store moves)
-- reads them and every run's Parquet file, with the same columns as the old table.
ALTER TABLE xmatch_pairs RENAME TO xmatch_pairs_legacy;
CREATE VIEW xmatch_pairs AS SELECT * FROM xmatch_pairs_legacy;
