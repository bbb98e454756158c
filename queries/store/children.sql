-- Catalogs derived from a parent catalog (e.g. csc -> csc_detections)
SELECT name FROM catalogs WHERE parent = $parent ORDER BY name
