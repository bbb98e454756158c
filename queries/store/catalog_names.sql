-- Names of registered catalogs
SELECT name FROM catalogs ORDER BY name
