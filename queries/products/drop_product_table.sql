-- Template: drop a product table (quoted identifier)
DROP TABLE IF EXISTS {name}
