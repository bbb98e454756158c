-- Template: drop a view whose catalog is gone ({name} is a quoted identifier)
DROP VIEW IF EXISTS {name}
