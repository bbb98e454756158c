-- The classifications in force of one catalog, in the XRBID notes layout
SELECT c.source_key AS "CSC ID", row_number() OVER (ORDER BY c.source_key) AS "ID",
       c.class AS "Class", c.best_counterpart AS "Best Star", c.donor_class AS "Mass",
       c.note AS "Notes", c.method AS "Method", c.author AS "Author",
       c.decided_at AS "Decided"
FROM classification_current AS c
WHERE c.catalog = $catalog
ORDER BY c.source_key
