-- Template: a product table from the registered Arrow rows "product_rows" (the table
-- name is a quoted identifier filled in by xcat)
CREATE TABLE {name} AS SELECT * FROM product_rows
