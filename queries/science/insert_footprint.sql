-- Insert one footprint (its vertices follow with insert_footprint_vertices.sql)
INSERT INTO footprints (name, ra, dec, radius_deg, origin, added_at)
VALUES ($name, $ra, $dec, $radius_deg, $origin, $added_at)
