-- title: X-ray sources without a counterpart
-- description: Sources of a cross-match run's left catalog that have no pair in that run (for X-ray catalogs, with their positional error and flux from xray_sources).
-- param run: Name of the cross-match run (xcat xmatch-runs lists them)
WITH run AS (
    SELECT run_id, left_catalog FROM xmatch_runs WHERE name = $run
),
matched AS (
    SELECT DISTINCT p.left_key FROM xmatch_pairs AS p JOIN run USING (run_id)
)
SELECT x.catalog, x.source_key, x.name, x.ra, x.dec, x.pos_err_r95, x.flux, x.hr1
FROM xray_sources AS x
JOIN run ON x.catalog = run.left_catalog
ANTI JOIN matched ON matched.left_key = x.source_key
ORDER BY x.flux DESC NULLS LAST
