-- Forget a catalog in the registry (its directory is swapped out in the same step)
DELETE FROM catalogs WHERE name = $name
