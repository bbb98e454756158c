-- Names of the tables in the DuckDB file
SELECT table_name FROM duckdb_tables()
