-- Views already defined in the DuckDB file, with their SQL
SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'
