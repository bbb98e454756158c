-- Forget a footprint (before replacing it); its vertices go with delete_footprint_vertices.sql
DELETE FROM footprints WHERE name = $name
