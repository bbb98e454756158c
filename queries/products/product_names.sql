-- Names of all registered products
SELECT name FROM products
