-- Template: drop a view whose catalog is gone (the name is a quoted identifier)
DROP VIEW IF EXISTS {name}
