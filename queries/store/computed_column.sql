-- Template: one computed column of an input table (the expression comes from ingest/<kind>.toml)
SELECT {expr} AS value FROM input_table
