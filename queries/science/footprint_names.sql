-- Names of the stored footprints
SELECT name FROM footprints ORDER BY name
