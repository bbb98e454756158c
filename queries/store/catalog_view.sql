-- Template: the view over one HATS catalog's Parquet files (the view name and the file glob
-- are filled in by xcat with a quoted identifier and a quoted literal; views cannot take bound parameters)
CREATE OR REPLACE VIEW {name} AS
SELECT * FROM read_parquet({glob}, hive_partitioning = true, union_by_name = false)
