-- Unit, UCD and description of every stored column (to label query results)
SELECT catalog, name, unit, ucd, description FROM catalog_columns
