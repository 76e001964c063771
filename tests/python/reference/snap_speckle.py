"""
Plain float64 numpy reference implementations of four ESA SNAP speckle
filters (operator "Speckle-Filter", class SpeckleFilterOp):

    boxcar, refined_lee, lee_sigma, idan

They follow SNAP's Java code (senbox-org/microwave-toolbox,
sar-op-sar-processing/src/main/java/eu/esa/sar/sar/gpf/filtering/SpeckleFilters/
{Boxcar,RefinedLee,LeeSigma,IDAN,SpeckleFilter}.java; the same code sits in
senbox-org/s1tbx under s1tbx-op-sar-processing/.../sar/gpf/filtering/SpeckleFilters/).
See NOTES.md next to this file for the full specification and sources.

These functions are written for clarity, not speed (per-pixel Python loops).
They are meant for images of at most ~64x64.

Common conventions (all match SNAP unless stated otherwise)
-----------------------------------------------------------
* ``img`` is a 2-D array; it is converted to float64.
* ``nodata``: SNAP always compares samples with the band's no-data value
  (``Band.getNoDataValue()``, 0.0 unless set), even when the band does not
  "use" it. So by default a sample exactly equal to 0.0 is treated as invalid.
  Pass ``nodata=None`` to treat every sample as valid.
* ``border``:
    - ``'snap'`` (default): what SNAP does. No padding. Window positions that
      fall outside the image are simply missing. Each filter then handles the
      truncated window in its own way (see each docstring).
    - ``'reflect'``: pad with ``np.pad(mode='symmetric')`` (the same as
      scipy.ndimage mode 'reflect': ``d c b a | a b c d``), run the SNAP
      algorithm on the padded image, and crop the result. SNAP does NOT do this.
      It is only here for comparison with implementations that pad.
* Lee Sigma's 98th percentile is computed over the source tile in SNAP. Here it
  is computed over the whole (unpadded) image, which matches SNAP when the
  image fits in one tile. It can be overridden with ``z98=``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["boxcar", "refined_lee", "lee_sigma", "idan",
           "LEE_SIGMA_INTENSITY_TABLE", "LEE_SIGMA_AMPLITUDE_TABLE"]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _prep(img, nodata):
    a = np.asarray(img, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError("img must be 2-D")
    valid = np.ones(a.shape, bool) if nodata is None else (a != nodata)
    return a, valid


def _nodata_out(nodata):
    return np.nan if nodata is None else float(nodata)


def _pad(a, p):
    return np.pad(a, p, mode="symmetric")


def _window(a, valid, y, x, hy, hx):
    """Return (values, mask) for the (2hy+1)x(2hx+1) window at (y, x).
    Positions outside the image get mask False (value NaN): SNAP's
    'getNeighborValuesWithoutBorderExt' / 'getWindowPixels' behaviour."""
    H, W = a.shape
    vals = np.full((2 * hy + 1, 2 * hx + 1), np.nan)
    mask = np.zeros_like(vals, dtype=bool)
    y0, y1 = max(0, y - hy), min(H, y + hy + 1)
    x0, x1 = max(0, x - hx), min(W, x + hx + 1)
    vals[y0 - (y - hy):y1 - (y - hy), x0 - (x - hx):x1 - (x - hx)] = a[y0:y1, x0:x1]
    mask[y0 - (y - hy):y1 - (y - hy), x0 - (x - hx):x1 - (x - hx)] = valid[y0:y1, x0:x1]
    return vals, mask


def _sample_var(v, mean):
    """SNAP getVarianceValue: sum((v-mean)^2)/(n-1), 0 if n <= 1."""
    n = v.size
    if n <= 1:
        return 0.0
    d = v - mean
    return float(np.dot(d, d) / (n - 1))


def _mmse_weight(v, eta2):
    """b = var(x)/var(y) with var(x) = (var(y) - mean^2*eta2)/(1+eta2) clipped
    at 0; b = 0 if var(y) == 0 (SpeckleFilter.computeMMSEWeight and
    LeeSigma.computeMMSEWeight)."""
    mean = float(v.mean())
    var_y = _sample_var(v, mean)
    if var_y == 0.0:
        return mean, 0.0
    var_x = (var_y - mean * mean * eta2) / (1.0 + eta2)
    if var_x < 0.0:
        var_x = 0.0
    return mean, var_x / var_y


# ----------------------------------------------------------------------------
# Boxcar
# ----------------------------------------------------------------------------
def boxcar(img, window=3, window_y=None, nodata=0.0, border="snap"):
    """Boxcar (mean) filter as in SNAP ``Boxcar.java``.

    out(y,x) = (1/N) * sum of the N valid samples in the window_y x window
    window centred on (y,x).

    Defaults: SNAP's ``filterSizeX = filterSizeY = 3`` (SpeckleFilterOp
    @Parameter defaultValue "3"). For even sizes SNAP uses half = size//2
    and minX = x-half, maxX = minX+size-1, so the window is one pixel longer
    on the low side; the same is done here.

    Borders: SNAP drops out-of-image samples (``getNeighborValues``) and
    averages the rest, i.e. a truncated window, normalised by the number of
    valid samples. Samples equal to ``nodata`` are excluded too. If no sample
    is valid, the output is ``nodata``. SNAP's 4x4 unit test (values 1..16)
    expects [3.5, 4, 5, 5.5, 5.5, 6, 7, 7.5, ...].
    """
    a, valid = _prep(img, nodata)
    wx = int(window)
    wy = int(window if window_y is None else window_y)
    hx, hy = wx // 2, wy // 2
    p = 0
    if border == "reflect":
        p = max(hx, hy)
        a, valid = _pad(a, p), _pad(valid, p)
    elif border != "snap":
        raise ValueError("border must be 'snap' or 'reflect'")
    H, W = a.shape
    out = np.empty((H - 2 * p, W - 2 * p))
    for y in range(p, H - p):
        for x in range(p, W - p):
            y0, y1 = max(0, y - hy), min(H, y - hy + wy)
            x0, x1 = max(0, x - hx), min(W, x - hx + wx)
            v = a[y0:y1, x0:x1][valid[y0:y1, x0:x1]]
            out[y - p, x - p] = v.mean() if v.size else _nodata_out(nodata)
    return out


# ----------------------------------------------------------------------------
# Refined Lee
# ----------------------------------------------------------------------------
# Non-edge half windows of the 7x7 window, indexed by SNAP's direction code d
# (RefinedLee.getNonEdgeAreaPixelValues). r = row (y), c = column (x).
# Each has 28 pixels and includes the centre row/column/diagonal.
_RR, _CC = np.mgrid[0:7, 0:7]
_NONEDGE = {
    0: _CC >= 3,            # right half (columns 3..6)
    1: _CC >= _RR,          # upper-right triangle incl. main diagonal
    2: _RR <= 3,            # top half (rows 0..3)
    3: _CC <= 6 - _RR,      # upper-left triangle incl. anti-diagonal
    4: _CC <= 3,            # left half (columns 0..3)
    5: _CC <= _RR,          # lower-left triangle incl. main diagonal
    6: _RR >= 3,            # bottom half (rows 3..6)
    7: _CC >= 6 - _RR,      # lower-right triangle incl. anti-diagonal
}


def _rl_noise_var(W7, M7, snap_sort_quirk=True):
    """SNAP RefinedLee.getLocalNoiseVarianceValue.

    For each of the 9 3x3 sub-windows (top-left corners at rows/cols 0,2,4)
    that is completely valid, compute var/mean^2 (sample variance, n-1), or 0
    if mean <= 0. Average the 5 smallest (or all, if fewer than 5).
    SNAP calls ``Arrays.sort(a, 0, n-1)``: the end index is exclusive, so
    the last collected value is left out of the sort. With all 9 valid this
    means the mean of the 5 smallest of the first 8 sub-windows (row-major);
    the bottom-right one is ignored. Reproduced when snap_sort_quirk=True.
    """
    vs = []
    for j in range(3):
        for i in range(3):
            sub = W7[2 * j:2 * j + 3, 2 * i:2 * i + 3]
            if M7[2 * j:2 * j + 3, 2 * i:2 * i + 3].all():
                m = float(sub.mean())
                vs.append(_sample_var(sub.ravel(), m) / (m * m) if m > 0 else 0.0)
    n = len(vs)
    if n < 1:
        return 0.0
    if snap_sort_quirk:
        vs = sorted(vs[:n - 1]) + vs[n - 1:]
    else:
        vs = sorted(vs)
    k = min(5, n)
    return float(sum(vs[:k]) / k)


def refined_lee(img, looks=1, window=7, nodata=0.0, border="snap",
                noise="snap", snap_quirks=True):
    """Refined Lee filter as in SNAP ``RefinedLee.java`` (after Lee 1981,
    CGIP 15:380-389; Lee & Pottier 2009, ch. 5).

    SNAP has no user parameters for this filter: the window is always 7x7,
    and the number of looks is NOT used. The multiplicative noise variance
    sigma_v^2 (= Cu^2, 1/L for L-look intensity) is estimated per pixel from
    the 7x7 window itself:
        sigma_v^2 = mean of the 5 smallest var/mean^2 of the nine 3x3
        sub-windows (see _rl_noise_var, including SNAP's sort quirk).
    ``noise='looks'`` instead uses sigma_v^2 = 1/looks (the textbook
    intensity form; this is NOT what SNAP does). ``window`` must be 7.

    Per pixel with all 49 window samples valid ("edge-aligned" path):
      1. Means S[j][i] of the nine 3x3 sub-windows whose top-left corners are
         at rows 2j, cols 2i (0,2,4) of the 7x7 window (they overlap by one).
      2. Gradients: g0=|S10-S12| (vertical edge), g1=|S02-S20| (45deg),
         g2=|S01-S21| (horizontal edge), g3=|S00-S22| (135deg).
         The edge direction is the first index of max(g).
      3. Side of the centre (d = direction code, see _NONEDGE):
         dir0: d=4 (left half)  if |S10-S11| < |S11-S12| else d=0 (right half)
         dir1: d=1 (upper-right) if |S02-S11| < |S11-S20| else d=5 (lower-left)
         dir2: d=2 (top half)    if |S01-S11| < |S11-S21| else d=6 (bottom)
         dir3: d=3 (upper-left)  if |S00-S11| < |S11-S22| else d=7 (lower-right)
      4. From the 28 pixels of the non-edge window: mean y_bar and sample
         variance var_y (n-1). If var_y == 0, SNAP returns 0.0 (a SNAP quirk;
         with snap_quirks=False y_bar is returned instead).
      5. var_x = max(0, (var_y - y_bar^2 * sigma_v^2) / (1 + sigma_v^2)),
         b = var_x / var_y,  out = y_bar + b * (z_centre - y_bar).
    Note SNAP uses only the simplified sub-mean differences, not Robinson's
    full 3x3 compass masks (even though they are cited in the SNAP help), and
    has no edge threshold (the edgeThreshold parameter is commented out).

    Border / no-data path (SNAP: number of valid samples < 49, which includes
    every pixel within 3 of the image border): the plain local-statistics
    (Lee) MMSE over all valid samples of the truncated 7x7 window:
      centre invalid -> nodata; y_bar, var_y (n-1) over the valid samples;
      var_y == 0 -> y_bar; sigma_v^2 from the completely valid 3x3 sub-windows
      only (0 if none); then step 5 with the centre value.

    The input may be intensity or amplitude. The algorithm does not depend on
    the unit (complex i/q would be turned into I = i^2+q^2 first).
    SNAP unit test (7x7 amplitude image in SpeckleFilterOperatorTest) is
    reproduced to ~1e-5 by this function.
    """
    if window != 7:
        raise ValueError("SNAP's Refined Lee is hard-wired to a 7x7 window")
    a, valid = _prep(img, nodata)
    p = 0
    if border == "reflect":
        p = 3
        a, valid = _pad(a, p), _pad(valid, p)
    elif border != "snap":
        raise ValueError("border must be 'snap' or 'reflect'")
    if noise not in ("snap", "looks"):
        raise ValueError("noise must be 'snap' or 'looks'")

    def sigv(W7, M7):
        if noise == "looks":
            return 1.0 / float(looks)
        return _rl_noise_var(W7, M7, snap_sort_quirk=snap_quirks)

    H, W = a.shape
    out = np.empty((H - 2 * p, W - 2 * p))
    nod = _nodata_out(nodata)
    for y in range(p, H - p):
        for x in range(p, W - p):
            W7, M7 = _window(a, valid, y, x, 3, 3)
            n = int(M7.sum())
            zc = W7[3, 3]
            if n == 0:
                out[y - p, x - p] = nod
                continue
            if n < 49:
                # computePixelValueUsingLocalStatistics
                if not M7[3, 3]:
                    out[y - p, x - p] = nod
                    continue
                v = W7[M7]
                y_bar = float(v.mean())
                if n <= 1:
                    # SNAP: var := noData; returns mean if noData == 0.0
                    out[y - p, x - p] = y_bar if (nodata is None or nodata == 0.0) else nod
                    continue
                var_y = _sample_var(v, y_bar)
                if var_y == 0.0:
                    out[y - p, x - p] = y_bar
                    continue
                s2 = sigv(W7, M7)
                var_x = max(0.0, (var_y - y_bar * y_bar * s2) / (1.0 + s2))
                out[y - p, x - p] = y_bar + (var_x / var_y) * (zc - y_bar)
                continue
            # edge-aligned path
            S = np.array([[W7[2 * j:2 * j + 3, 2 * i:2 * i + 3].mean() for i in range(3)]
                          for j in range(3)])
            g = [abs(S[1, 0] - S[1, 2]), abs(S[0, 2] - S[2, 0]),
                 abs(S[0, 1] - S[2, 1]), abs(S[0, 0] - S[2, 2])]
            direction = 0
            gmax = -np.finfo(float).max
            for i, gi in enumerate(g):          # strict '<': first max wins
                if gmax < gi:
                    gmax, direction = gi, i
            c = S[1, 1]
            if direction == 0:
                d = 4 if abs(S[1, 0] - c) < abs(c - S[1, 2]) else 0
            elif direction == 1:
                d = 1 if abs(S[0, 2] - c) < abs(c - S[2, 0]) else 5
            elif direction == 2:
                d = 2 if abs(S[0, 1] - c) < abs(c - S[2, 1]) else 6
            else:
                d = 3 if abs(S[0, 0] - c) < abs(c - S[2, 2]) else 7
            pix = W7[_NONEDGE[d]]
            y_bar = float(pix.mean())
            var_y = _sample_var(pix, y_bar)
            if var_y == 0.0:
                out[y - p, x - p] = 0.0 if snap_quirks else y_bar
                continue
            s2 = sigv(W7, M7)
            var_x = max(0.0, (var_y - y_bar * y_bar * s2) / (1.0 + s2))
            out[y - p, x - p] = y_bar + (var_x / var_y) * (zc - y_bar)
    return out


# ----------------------------------------------------------------------------
# Lee Sigma (improved sigma filter, Lee et al. 2009)
# ----------------------------------------------------------------------------
# (looks, sigma) -> (lower bound, upper bound, eta_v') as hard-coded in SNAP
# LeeSigma.setSigmaRange (values from Lee et al. 2009, IEEE TGRS 47(1)).
LEE_SIGMA_INTENSITY_TABLE = {
    (1, 0.5): (0.436, 1.920, 0.4057), (1, 0.6): (0.343, 2.210, 0.4954),
    (1, 0.7): (0.254, 2.582, 0.5911), (1, 0.8): (0.168, 3.094, 0.6966),
    (1, 0.9): (0.084, 3.941, 0.8191),
    (2, 0.5): (0.582, 1.584, 0.2763), (2, 0.6): (0.501, 1.755, 0.3388),
    (2, 0.7): (0.418, 1.972, 0.4062), (2, 0.8): (0.327, 2.260, 0.4810),
    (2, 0.9): (0.221, 2.744, 0.5699),
    (3, 0.5): (0.652, 1.458, 0.2222), (3, 0.6): (0.580, 1.586, 0.2736),
    (3, 0.7): (0.505, 1.751, 0.3280), (3, 0.8): (0.419, 1.965, 0.3892),
    (3, 0.9): (0.313, 2.320, 0.4624),
    (4, 0.5): (0.694, 1.385, 0.1921), (4, 0.6): (0.630, 1.495, 0.2348),
    (4, 0.7): (0.560, 1.627, 0.2825), (4, 0.8): (0.480, 1.804, 0.3354),
    (4, 0.9): (0.378, 2.094, 0.3991),
}
LEE_SIGMA_AMPLITUDE_TABLE = {
    (1, 0.5): (0.653997, 1.40002, 0.208349), (1, 0.6): (0.578998, 1.50601, 0.255358),
    (1, 0.7): (0.496999, 1.63201, 0.305303), (1, 0.8): (0.403999, 1.79501, 0.361078),
    (1, 0.9): (0.286, 2.04301, 0.426375),
    (2, 0.5): (0.76, 1.263, 0.139021), (2, 0.6): (0.705, 1.332, 0.169777),
    (2, 0.7): (0.643, 1.412, 0.206675), (2, 0.8): (0.568, 1.515, 0.244576),
    (2, 0.9): (0.467, 1.673, 0.29107),
    (3, 0.5): (0.806, 1.21, 0.109732), (3, 0.6): (0.76, 1.263, 0.138001),
    (3, 0.7): (0.708, 1.327, 0.163686), (3, 0.8): (0.645, 1.408, 0.19597),
    (3, 0.9): (0.557, 1.531, 0.234219),
    (4, 0.5): (0.832, 1.179, 0.0894192), (4, 0.6): (0.793, 1.226, 0.112018),
    (4, 0.7): (0.747, 1.279, 0.139243), (4, 0.8): (0.691, 1.347, 0.167771),
    (4, 0.9): (0.613, 1.452, 0.201036),
}


def _lee_sigma_mmse(v, arr, eta2):
    """LeeSigma.computeMMSEEstimate: (1-b)*mean + b*v (NaN if arr is empty,
    as SNAP's 0/0)."""
    if arr.size == 0:
        return np.nan
    mean, b = _mmse_weight(arr, eta2)
    return (1.0 - b) * mean + b * v


def lee_sigma(img, looks=1, window=7, sigma=0.9, target_window=3,
              unit="intensity", nodata=0.0, border="snap", z98=None):
    """Improved Lee Sigma filter as in SNAP ``LeeSigma.java``
    (Lee, Wen, Ainsworth, Chen, Chen 2009, IEEE TGRS 47(1):202-213).

    Parameters (SNAP defaults): looks in {1,2,3,4} (default 1), window in
    {5,7,...,17} (default 7), sigma in {0.5,...,0.9} (default 0.9),
    target_window in {3,5} (default 3). unit: 'intensity' (SNAP uses the
    intensity tables for every unit that is not AMPLITUDE) or 'amplitude'.

    Constants: eta_v = 1/sqrt(L) (intensity) or 0.5227/sqrt(L) (amplitude),
    the speckle std / mean. [A1, A2] and eta_v' come from the table for
    (L, sigma) (LEE_SIGMA_*_TABLE). eta_v' is the std/mean of the speckle
    truncated to [A1, A2].

    Z98 = sorted(all samples of the source tile)[int(0.98*N) - 1]. Here the
    whole image is used (no-data samples included, as in SNAP).

    Raster scan, for each pixel with value z:
      0. If the pixel was marked as part of a point target earlier -> z.
      1. Border: if the full window x window does not fit inside the image,
         out = MMSE over all valid samples of the truncated window with eta_v
         (no point-target test, no sigma range).
      2. Point target: T = target_window x target_window around the pixel.
         If z > Z98 and #(valid T samples > Z98) > 5 (SNAP: targetSize = 5,
         strictly greater, for both 3x3 and 5x5), mark every T sample > Z98
         as a point target (they keep their original values when reached
         later) -> out = z.
      3. A-priori mean: x_hat = MMSE over the valid T samples with eta_v:
         x_hat = (1-b)*mean_T + b*z, with b = var_x/var_y,
         var_x = max(0,(var_y - mean_T^2 eta_v^2)/(1+eta_v^2)), var_y =
         sample variance (n-1), and b = 0 if var_y == 0.
      4. Sigma range [A1*x_hat, A2*x_hat] (inclusive). Select the valid
         samples of the full window inside it. If none -> z.
      5. out = MMSE over the selected samples with eta_v' (same formula as 3,
         centre value z).
    The filter works in the input's own domain (intensity or amplitude); no
    conversion is done.
    """
    key = (int(looks), round(float(sigma), 1))
    if unit == "intensity":
        table, eta_v = LEE_SIGMA_INTENSITY_TABLE, 1.0 / np.sqrt(looks)
    elif unit == "amplitude":
        table, eta_v = LEE_SIGMA_AMPLITUDE_TABLE, 0.5227 / np.sqrt(looks)
    else:
        raise ValueError("unit must be 'intensity' or 'amplitude'")
    if key not in table:
        raise ValueError("SNAP supports looks 1..4 and sigma 0.5..0.9 only")
    if window % 2 == 0 or target_window % 2 == 0:
        raise ValueError("window sizes must be odd")
    lo_k, hi_k, eta_vp = table[key]
    eta2, etap2 = eta_v * eta_v, eta_vp * eta_vp

    a, valid = _prep(img, nodata)
    if z98 is None:
        s = np.sort(a.ravel())
        z98 = float(s[int(a.size * 0.98) - 1])
    half, ht = window // 2, target_window // 2
    p = 0
    if border == "reflect":
        p = half
        a, valid = _pad(a, p), _pad(valid, p)
    elif border != "snap":
        raise ValueError("border must be 'snap' or 'reflect'")
    H, W = a.shape
    Ho, Wo = H - 2 * p, W - 2 * p
    out = np.empty((Ho, Wo))
    is_pt = np.zeros((Ho, Wo), bool)          # marks limited to the output tile
    for y in range(p, H - p):
        for x in range(p, W - p):
            z = a[y, x]
            if is_pt[y - p, x - p]:
                out[y - p, x - p] = z
                continue
            if y - half < 0 or y + half > H - 1 or x - half < 0 or x + half > W - 1:
                Wv, Wm = _window(a, valid, y, x, half, half)
                out[y - p, x - p] = _lee_sigma_mmse(z, Wv[Wm], eta2)
                continue
            T = a[y - ht:y + ht + 1, x - ht:x + ht + 1]
            Tm = valid[y - ht:y + ht + 1, x - ht:x + ht + 1]
            if T[ht, ht] > z98:
                bright = Tm & (T > z98)
                if int(bright.sum()) > 5:
                    for j, i in zip(*np.nonzero(bright)):
                        yy, xx = y - ht + j - p, x - ht + i - p
                        if 0 <= yy < Ho and 0 <= xx < Wo:
                            is_pt[yy, xx] = True
                    out[y - p, x - p] = z
                    continue
            x_hat = _lee_sigma_mmse(z, T[Tm], eta2)
            lo, hi = x_hat * lo_k, x_hat * hi_k
            Wv = a[y - half:y + half + 1, x - half:x + half + 1]
            Wm = valid[y - half:y + half + 1, x - half:x + half + 1]
            sel = Wv[Wm & (Wv >= lo) & (Wv <= hi)]
            out[y - p, x - p] = z if sel.size == 0 else _lee_sigma_mmse(z, sel, etap2)
    return out


# ----------------------------------------------------------------------------
# IDAN
# ----------------------------------------------------------------------------
_NB8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def _idan_criterion(v, seed, thr):
    # Java: Math.abs((v - seed) / seed) < thr ; seed == 0 gives inf/NaN -> false
    if seed == 0.0:
        return False
    return abs((v - seed) / seed) < thr


def idan(img, looks=1, an_size=50, unit="intensity", nodata=0.0, border="snap"):
    """IDAN filter as in SNAP ``IDAN.java`` (Vasile, Trouve, Lee, Buzuloiu
    2006, IEEE TGRS 44(6):1609-1621), single-channel version.

    Parameters (SNAP defaults): looks in {1,2,3,4} (default 1; the same
    "numLooksStr" parameter as Lee Sigma), an_size (default 50, allowed
    (1, 200]). unit: 'intensity' or 'amplitude'. With amplitude, the region
    growing and b use I = A^2, and the output is in amplitude (see step 6).

    sigma_v = 1/sqrt(L). Thresholds: IDAN-50 thr1 = (2/3)*sigma_v,
    IDAN-95 thr2 = 2*sigma_v.

    Per pixel c with intensity I_c:
      1. Seed = marginal median of the valid intensities in the 3x3 window,
         clipped at the image border: sorted(valid)[k//2] (the upper median for
         even k; 0 if k == 0).
      2. Pass 1, region growing (8-connected, breadth-first, starting at c):
         a pixel is accepted if valid and |I - seed|/seed < thr1. The
         centre is tested too, but growth starts from c even if c is rejected.
         Rejected pixels go to a background list. Each pixel is visited once.
         Layers are processed while |AN| < an_size and the front is not
         empty. Neighbour order per front pixel: (dy,dx) = (-1,-1),(-1,0),
         (-1,1),(0,-1),(0,1),(1,-1),(1,0),(1,1). After each front pixel's 8
         neighbours, stop the layer if |AN| > an_size (strictly). So |AN|
         can end up to 8 above an_size.
      3. New seed = mean intensity of AN (old seed if AN is empty).
      4. Pass 2: each background pixel from pass 1 (in visit order) is added
         to AN if |I - new_seed|/new_seed < thr2. There is no further growing
         and no validity test (SNAP). AN pixels from pass 1 are kept.
      5. If AN is empty, AN = {c}.
      6. LLMMSE: b = max(0,(var - mean^2*sigma_v^2)/(1+sigma_v^2))/var over the
         AN intensities (sample variance, n-1; b = 0 if var == 0).
         Intensity: out = mean(I_AN) + b*(I_c - mean(I_AN)).
         Amplitude: out = mean(sqrt(I_AN)) + b*(sqrt(I_c) - mean(sqrt(I_AN)))
         (b from intensities, applied in amplitude).

    Borders: SNAP bounds growth by the image (the source tile is the target
    tile + an_size, clipped to the image; growth cannot travel further than
    an_size, so the result does not depend on tiling).
    SNAP's 4x4 amplitude unit test is reproduced exactly.
    """
    if unit not in ("intensity", "amplitude"):
        raise ValueError("unit must be 'intensity' or 'amplitude'")
    a0 = np.asarray(img, dtype=np.float64)
    I = a0 * a0 if unit == "amplitude" else a0.copy()
    p = 0
    if border == "reflect":
        p = int(an_size) + 1
        I = _pad(I, p)
    elif border != "snap":
        raise ValueError("border must be 'snap' or 'reflect'")
    # SNAP compares the (squared, for amplitude) value with the no-data value
    valid = np.ones(I.shape, bool) if nodata is None else (I != nodata)
    sig_v = 1.0 / np.sqrt(float(looks))
    s2 = sig_v * sig_v
    thr50, thr95 = (2.0 / 3.0) * sig_v, 2.0 * sig_v
    H, W = I.shape
    out = np.empty((H - 2 * p, W - 2 * p))
    for yc in range(p, H - p):
        for xc in range(p, W - p):
            # 1. seed
            ys, ye = max(yc - 1, 0), min(yc + 1, H - 1)
            xs, xe = max(xc - 1, 0), min(xc + 1, W - 1)
            blk = I[ys:ye + 1, xs:xe + 1][valid[ys:ye + 1, xs:xe + 1]]
            seed = float(np.sort(blk)[blk.size // 2]) if blk.size else 0.0
            # 2. pass 1
            an, bg = [], []
            visited = {(yc, xc)}
            if valid[yc, xc] and _idan_criterion(I[yc, xc], seed, thr50):
                an.append((yc, xc))
            else:
                bg.append((yc, xc))
            front = [(yc, xc)]
            while len(an) < an_size and front:
                newfront = []
                for (py, px) in front:
                    for dy, dx in _NB8:
                        ny, nx = py + dy, px + dx
                        if 0 <= ny < H and 0 <= nx < W and (ny, nx) not in visited:
                            visited.add((ny, nx))
                            if valid[ny, nx] and _idan_criterion(I[ny, nx], seed, thr50):
                                an.append((ny, nx))
                                newfront.append((ny, nx))
                            else:
                                bg.append((ny, nx))
                    if len(an) > an_size:
                        break
                front = newfront
            # 3. new seed
            new_seed = float(np.mean([I[q] for q in an])) if an else seed
            # 4. pass 2
            for q in bg:
                if _idan_criterion(I[q], new_seed, thr95):
                    an.append(q)
            # 5.
            if not an:
                an = [(yc, xc)]
            vals = np.array([I[q] for q in an])
            # 6. LLMMSE
            _, b = _mmse_weight(vals, s2)
            if unit == "amplitude":
                av = np.sqrt(vals)
                m = float(av.mean())
                out[yc - p, xc - p] = m + b * (np.sqrt(I[yc, xc]) - m)
            else:
                m = float(vals.mean())
                out[yc - p, xc - p] = m + b * (I[yc, xc] - m)
    return out


# ----------------------------------------------------------------------------
# self-check against SNAP's own unit-test vectors
# (microwave-toolbox sar-op-sar-processing/src/test/java/eu/esa/sar/sar/gpf/
#  filtering/SpeckleFilterOperatorTest.java) and a smoke test
# ----------------------------------------------------------------------------
def _self_test():
    img4 = np.arange(1, 17, dtype=float).reshape(4, 4)
    exp_box = [3.5, 4.0, 5.0, 5.5, 5.5, 6.0, 7.0, 7.5, 9.5, 10.0, 11.0, 11.5,
               11.5, 12.0, 13.0, 13.5]
    assert np.allclose(boxcar(img4, 3).ravel(), exp_box, atol=1e-4)
    exp_idan = [4.5, 4.5, 5.0, 6.5, 5.0, 5.0, 6.5, 7.0, 8.0, 8.0, 9.0, 9.0,
                9.5, 9.5, 10.5, 10.5]
    got = idan(img4, looks=1, an_size=50, unit="amplitude").ravel()
    assert np.allclose(got, exp_idan, atol=1e-4), got
    img7 = np.array([99, 105, 124, 138, 128, 34, 62,
                     105, 91, 140, 98, 114, 63, 31,
                     107, 94, 128, 138, 96, 61, 82,
                     137, 129, 136, 105, 100, 55, 85,
                     144, 145, 113, 132, 119, 39, 50,
                     102, 97, 102, 110, 103, 34, 53,
                     107, 146, 115, 123, 101, 76, 56], float).reshape(7, 7)
    exp_rl = [117.125, 115.6, 108.98584, 115.59759, 111.30918, 67.772064, 77.42791,
              120.4, 115.62569, 107.23333, 99.46982, 102.80414, 83.69684, 79.332756,
              117.458336, 115.96667, 106.94328, 122.64238, 95.61863, 80.35871, 83.98103,
              118.21429, 116.314285, 108.13215, 115.28595, 97.82989, 76.39517, 85.19781,
              118.5, 116.052475, 105.69444, 118.22289, 103.49728, 76.28018, 81.13954,
              120.008255, 114.69612, 106.46667, 106.02027, 98.75016, 78.02842, 85.9,
              121.4375, 119.85731, 107.083336, 106.53835, 97.693275, 88.09068, 83.8125]
    got = refined_lee(img7).ravel()
    assert np.allclose(got, exp_rl, atol=1e-4), np.abs(got - exp_rl).max()

    rng = np.random.default_rng(0)
    g = rng.gamma(shape=1.0, scale=1.0, size=(16, 16))    # 1-look intensity
    for f in (lambda im: boxcar(im, 3), refined_lee, lee_sigma, idan,
              lambda im: refined_lee(im, border="reflect"),
              lambda im: lee_sigma(im, border="reflect"),
              lambda im: idan(im, border="reflect"),
              lambda im: lee_sigma(np.sqrt(im), unit="amplitude", window=9)):
        r = f(g)
        assert r.shape == g.shape and np.all(np.isfinite(r))
    return True


if __name__ == "__main__":
    import time
    t = time.time()
    _self_test()
    print("self-test passed in %.2fs" % (time.time() - t))
