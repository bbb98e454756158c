-- Every catalog with its kind, position columns, key and parent (for derived views)
SELECT name, kind, ra_column, dec_column, key_columns, parent FROM catalogs ORDER BY name
