-- Unit, UCD and description of every stored column and documented view column
-- (to label query results)
SELECT catalog, name, unit, ucd, description FROM catalog_columns
UNION ALL
SELECT view AS catalog, name, unit, NULL AS ucd, description FROM view_columns
