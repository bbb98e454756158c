-- UCDs for documented view columns: science views carry units, UCDs and descriptions
ALTER TABLE view_columns ADD COLUMN ucd VARCHAR;
