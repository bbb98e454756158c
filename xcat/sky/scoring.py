"""Per-pair scores of a cross-match: error-aware normalised separations, local densities,
chance-coincidence probabilities and likelihood-ratio association probabilities.

Conventions (DOMAIN.md §4): a positional error ``sigma`` is the 1-sigma error per axis
of a circular 2-D Gaussian, in arcsec; a CSC 95% error ellipse (a, b) becomes per-axis
1-sigma values ``0.40854 a`` and ``0.40854 b``; independent errors add in quadrature.

Examples
--------
>>> import numpy as np
>>> round(float(chance_probability(np.array([1.0]), np.array([0.01]))[0]), 4)
0.0309

"""

from __future__ import annotations

import numpy as np

from xcat.sky.pairs import counts_within

ARCSEC_PER_RAD = 206264.80624709636
SIGMA_PER_R95 = 1 / np.sqrt(2 * np.log(20.0))  # 0.40854: 95% radius -> 1-sigma per axis


def combined_sigma(sigma_left: np.ndarray, sigma_right: np.ndarray) -> np.ndarray:
    """Quadrature sum of two 1-sigma errors (NaN counts as zero on the right only).

    Examples
    --------
    >>> combined_sigma(np.array([0.3]), np.array([0.4]))
    array([0.5])

    """
    return np.hypot(sigma_left, np.nan_to_num(sigma_right, nan=0.0))


def ellipse_sigmas(a95: np.ndarray, b95: np.ndarray, extra_sigma: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """1-sigma major/minor axes of a 95% ellipse, with ``extra_sigma`` added in quadrature.

    Examples
    --------
    >>> ellipse_sigmas(np.array([2.0]), np.array([1.0]), np.array([0.0]))[0].round(5)
    array([0.81708])

    """
    extra = np.nan_to_num(extra_sigma, nan=0.0)
    return (np.hypot(SIGMA_PER_R95 * a95, extra), np.hypot(SIGMA_PER_R95 * b95, extra))


def ellipse_normalised(sep: np.ndarray, pa_pair: np.ndarray, sig_major: np.ndarray,
                       sig_minor: np.ndarray, pa_ellipse: np.ndarray) -> np.ndarray:
    """Mahalanobis distance of an offset (sep, PA) in an ellipse (major-axis PA E of N).

    Examples
    --------
    >>> ellipse_normalised(np.array([2.0, 2.0]), np.array([30.0, 120.0]), np.array([2.0]),
    ...                    np.array([1.0]), np.array([30.0]))
    array([1., 2.])

    """
    d = np.radians(pa_pair - pa_ellipse)
    u = sep * np.cos(d) / sig_major
    v = sep * np.sin(d) / sig_minor
    return np.hypot(u, v)


def annulus_area_arcsec2(r_in_arcsec: float, r_out_arcsec: float) -> float:
    """Area of a spherical annulus in arcsec² (exact cap difference).

    Examples
    --------
    >>> round(annulus_area_arcsec2(0.0, 60.0) / (np.pi * 3600), 6)
    1.0

    """
    rin, rout = r_in_arcsec / ARCSEC_PER_RAD, r_out_arcsec / ARCSEC_PER_RAD
    # 2 pi (cos rin - cos rout), written with sin^2 so it keeps its precision for small radii
    return float(4 * np.pi * (np.sin(rout / 2) ** 2 - np.sin(rin / 2) ** 2) * ARCSEC_PER_RAD**2)


def local_density(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray,
                  r_in_arcsec: float, r_out_arcsec: float) -> tuple[np.ndarray, np.ndarray]:
    """Right-catalog surface density (arcsec⁻²) in an annulus around each left source.

    Returns ``(rho, n_annulus)``. A source with no right row in its annulus gets the
    upper value of one row per annulus, so ``rho`` is never zero.

    Examples
    --------
    >>> rho, n = local_density(np.array([10.0]), np.array([0.0]),
    ...                        np.array([10.0, 10.005]), np.array([0.0, 0.0]), 10, 60)
    >>> n.tolist(), bool(rho[0] > 0)
    ([1], True)

    """
    outer = counts_within(ra1, dec1, ra2, dec2, r_out_arcsec / 3600)
    inner = (counts_within(ra1, dec1, ra2, dec2, r_in_arcsec / 3600) if r_in_arcsec > 0
             else np.zeros(len(ra1), np.int64))
    n = outer - inner
    area = annulus_area_arcsec2(r_in_arcsec, r_out_arcsec)
    return np.maximum(n, 1) / area, n


def chance_probability(sep_arcsec: np.ndarray, rho_arcsec2: np.ndarray) -> np.ndarray:
    """P(at least one unrelated right source as close as ``sep``) = 1 − exp(−π sep² ρ).

    Examples
    --------
    >>> chance_probability(np.array([0.0]), np.array([1.0]))
    array([0.])

    """
    return -np.expm1(-np.pi * sep_arcsec**2 * rho_arcsec2)


def likelihood_ratio(norm_sep: np.ndarray, sig_major: np.ndarray, sig_minor: np.ndarray,
                     rho_arcsec2: np.ndarray) -> np.ndarray:
    """LR = f(r) / ρ with f the 2-D Gaussian density of the offset (arcsec⁻²).

    Examples
    --------
    >>> float(likelihood_ratio(np.array([0.0]), np.array([1.0]), np.array([1.0]),
    ...                        np.array([1 / (2 * np.pi)]))[0])
    1.0

    """
    f = np.exp(-0.5 * norm_sep**2) / (2 * np.pi * sig_major * sig_minor)
    return f / rho_arcsec2


def association_probabilities(left_index: np.ndarray, lr: np.ndarray, completeness: float,
                              n_left: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair ``p_i`` and per-pair ``p_any`` of its left source (Sutherland & Saunders).

    p_i = c·LR_i / (Σ_j c·LR_j + 1 − c) over the left source's candidates, and
    p_any = Σ_j c·LR_j / (Σ_j c·LR_j + 1 − c), with ``c`` the fraction of left
    sources expected to have a counterpart in the right catalog.

    Examples
    --------
    >>> p, pany = association_probabilities(np.array([0, 0]), np.array([9.0, 1.0]), 0.5, 1)
    >>> p.round(3).tolist(), pany.round(3).tolist()
    ([0.818, 0.091], [0.909, 0.909])

    """
    weighted = completeness * lr
    total = np.bincount(left_index, weights=weighted, minlength=n_left)
    denom = total[left_index] + (1 - completeness)
    return weighted / denom, total[left_index] / denom
