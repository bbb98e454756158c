-- Template: one row per fitted source from a long-form spectral-fit product. DuckDB needs
-- the pivot values spelled out in a view, so xcat fills in {values} (quoted literals of
-- every model_parameter present), {name} and {long} (quoted identifiers) at ingest.
CREATE OR REPLACE VIEW {name} AS
PIVOT (SELECT _source_key, source, fit_statistic, model || '_' || parameter AS model_parameter,
              value, lower, upper
       FROM {long})
ON model_parameter IN ({values})
USING first(value) AS value, first(lower) AS lower, first(upper) AS upper
GROUP BY _source_key, source, fit_statistic
ORDER BY source
