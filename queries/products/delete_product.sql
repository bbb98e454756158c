-- Forget a product's registry row
DELETE FROM products WHERE name = $name
