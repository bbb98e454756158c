-- Column names of a view or table in the DuckDB file
SELECT column_name FROM duckdb_columns() WHERE table_name = $view
