-- 008: alias_key macro: the one host-name normalisation, used by SQL and Python alike
-- alias_key: the lookup key of a host name (host_aliases.alias_key): upper case, spaces
-- and underscores removed, so 'M 101', 'm101' and 'M_101' are one key. xcat computes the
-- keys it stores through this macro, and named queries compare with alias_key($host).
CREATE OR REPLACE MACRO alias_key(name) AS upper(regexp_replace(name, '[\s_]+', '', 'g'));
