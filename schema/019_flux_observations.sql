-- 019: flux histories: per-observation fluxes, band-conversion models and factors, survey epochs
CREATE SEQUENCE flux_model_ids START 1;

-- One flux per source x observation (or stack) x band: CSC observation_source rows from
-- `xcat ingest csc --with-observations` or `xcat ingest observations FILE`. A source is
-- (catalog, source_key) as in xray_sources. Times are as the catalog gives them (Chandra:
-- TT, within 69 s of UTC); mjd is the mid-time (t_start + t_stop) / 2 on the same scale.
CREATE TABLE flux_observations (
    catalog          VARCHAR NOT NULL,     -- store catalog of the source (csc21, csc ...)
    source_key       VARCHAR NOT NULL,     -- the source's key in it (CSC name)
    obs_kind         VARCHAR NOT NULL,     -- observation | stack
    obs_id           VARCHAR NOT NULL,     -- "obsid.obi" (CSC: 8941.1) or the stack id
    region_id        BIGINT,               -- CSC region of the detection
    t_start          TIMESTAMP,            -- start of the good time (CSC gti_obs)
    t_stop           TIMESTAMP,            -- end of the good time (CSC gti_end)
    mjd              DOUBLE,               -- mid-time, MJD (d)
    exposure_s       DOUBLE,               -- s (livetime where the input gives it)
    band             VARCHAR NOT NULL,     -- band name (CSC b, s, m, h, u, w)
    emin_kev         DOUBLE NOT NULL,      -- keV
    emax_kev         DOUBLE NOT NULL,      -- keV
    flux             DOUBLE,               -- erg cm^-2 s^-1 (0 for a CSC upper limit)
    flux_lo          DOUBLE,               -- erg cm^-2 s^-1, lower bound (68%)
    flux_hi          DOUBLE,               -- erg cm^-2 s^-1, upper bound (the limit if flux_upper_limit)
    flux_upper_limit BOOLEAN NOT NULL,
    flux_column      VARCHAR,              -- the input column (flux_aper90_b)
    instrument       VARCHAR,              -- ACIS, HRC, PSPC ...
    mission          VARCHAR,              -- Chandra, ROSAT, eROSITA ...
    var_prob         DOUBLE,               -- within-observation variability probability (CSC var_prob_b)
    origin           VARCHAR NOT NULL,     -- file path or service URL
    origin_detail    VARCHAR,              -- the ADQL sent, or the options of a file ingest
    sha256           VARCHAR,              -- of the bytes read
    added_at         TIMESTAMP NOT NULL,   -- UTC
    PRIMARY KEY (catalog, source_key, obs_kind, obs_id, band)
);

-- Band-conversion models: an absorbed power law (photon index gamma, column nh_cm2,
-- cross-sections, observed or unabsorbed target) and the common band it converts to. The
-- newest model (highest model_id) is the current one; older ones stay for provenance.
CREATE TABLE flux_models (
    model_id          BIGINT PRIMARY KEY DEFAULT nextval('flux_model_ids'),
    gamma             DOUBLE NOT NULL,
    nh_cm2            DOUBLE NOT NULL,     -- cm^-2
    cross_sections    VARCHAR NOT NULL,    -- MM83 = Morrison & McCammon 1983, ApJ 270, 119
    target_unabsorbed BOOLEAN NOT NULL,
    band              VARCHAR NOT NULL,    -- common band name
    emin_kev          DOUBLE NOT NULL,
    emax_kev          DOUBLE NOT NULL,
    label             VARCHAR NOT NULL,    -- as recorded with every converted value
    added_at          TIMESTAMP NOT NULL
);

-- factor = F(common band) / F(emin_kev-emax_kev) for a model (xcat.science.bands).
CREATE TABLE flux_conversions (
    model_id BIGINT NOT NULL,
    emin_kev DOUBLE NOT NULL,
    emax_kev DOUBLE NOT NULL,
    factor   DOUBLE NOT NULL,
    PRIMARY KEY (model_id, emin_kev, emax_kev)
);

-- When each survey observed: catalog-level fluxes of a survey carry its span as their time.
CREATE TABLE survey_epochs (
    kind       VARCHAR PRIMARY KEY,        -- catalog kind (rxs2, erass1)
    mission    VARCHAR NOT NULL,
    instrument VARCHAR NOT NULL,
    t_start    TIMESTAMP NOT NULL,
    t_stop     TIMESTAMP NOT NULL,
    reference  VARCHAR NOT NULL
);

INSERT INTO survey_epochs VALUES
  ('rxs2', 'ROSAT', 'PSPC', TIMESTAMP '1990-07-30', TIMESTAMP '1991-01-25',
   'RASS survey phase (Voges et al. 1999, A&A 349, 389)'),
  ('erass1', 'eROSITA', 'TM1-7', TIMESTAMP '2019-12-12', TIMESTAMP '2020-06-11',
   'eRASS1 (Merloni et al. 2024, A&A 682, A34)');

-- The default model: Gamma = 2, N_H = 3e20 cm^-2 (the convention of the eRASS1 and 2RXS
-- catalogues' fluxes), observed flux in 0.5-2 keV. The factors are xcat.science.bands'
-- (tests/test_flux_history.py checks they equal a fresh computation).
INSERT INTO flux_models VALUES
  (nextval('flux_model_ids'), 2.0, 3e20, 'MM83', FALSE, '0.5-2 keV', 0.5, 2.0,
   'absorbed power law Gamma=2, NH=3e+20 cm-2 (MM83), observed flux',
   TIMESTAMP '2026-12-03 00:00:00');
INSERT INTO flux_conversions VALUES
  (1, 0.1, 2.4, 0.6769988013615682),
  (1, 0.2, 2.3, 0.6957531380624532),
  (1, 0.5, 7.0, 0.50270622737486),
  (1, 0.5, 1.2, 1.6522247424730367),
  (1, 1.2, 2.0, 2.533213837010087),
  (1, 2.0, 7.0, 1.0108838176700836),
  (1, 0.2, 0.5, 3.051606647571506),
  (1, 0.1, 10.0, 0.38375182789352447),
  (1, 0.5, 2.0, 1.0);
