-- source_product_provenance: every computed product (srcflux, spectral fit, ...) made from
-- a fetched data product: source -> product file (URL, SHA-256) -> computed product.
-- file_unchanged says whether the file registered now is still the one the use recorded.
-- Columns in the sibling .toml.
-- depends: (tables only)
CREATE OR REPLACE VIEW source_product_provenance AS
SELECT s.catalog,
       s.source_key,
       s.product_id,
       s.product_type,
       s.service_type,
       s.band,
       s.obsid,
       s.file_name,
       s.path,
       u.file_sha256,
       s.sha256 IS NOT DISTINCT FROM u.file_sha256 AS file_unchanged,
       s.url,
       s.service,
       s.fetched_at,
       u.product_name,
       p.kind AS product_kind,
       p.sha256 AS product_sha256,
       p.created AS product_created,
       u.note,
       u.recorded_at
FROM source_product_uses AS u
JOIN source_products AS s ON s.product_id = u.product_id
LEFT JOIN products AS p ON p.name = u.product_name
ORDER BY s.catalog, s.source_key, u.recorded_at
