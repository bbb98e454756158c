-- Template: drop a product's wide view (quoted identifier)
DROP VIEW IF EXISTS {name}
