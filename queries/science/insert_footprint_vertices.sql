-- Insert the vertices staged as the relation _xcat_new_vertices
INSERT INTO footprint_vertices BY NAME SELECT * FROM _xcat_new_vertices
