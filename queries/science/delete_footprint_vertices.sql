-- Forget a footprint's vertices
DELETE FROM footprint_vertices WHERE footprint = $name
