-- Insert the hosts, aliases, distances and adoptions staged as the relations
-- _xcat_new_hosts, _xcat_new_aliases, _xcat_new_distances, _xcat_new_adoptions
INSERT INTO hosts BY NAME SELECT * FROM _xcat_new_hosts;
INSERT INTO host_aliases BY NAME SELECT * FROM _xcat_new_aliases;
INSERT INTO host_distances BY NAME SELECT * FROM _xcat_new_distances;
INSERT INTO distance_adoptions BY NAME SELECT * FROM _xcat_new_adoptions;
