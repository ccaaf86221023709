//! Reading a code through its module grid: a perspective transform fitted to the three finder
//! patterns and the alignment pattern, every module sampled from the frame's luma, and rqrr's
//! format check and error correction on the sampled bits.
//!
//! rqrr's own detector needs each finder to be one clean connected blob in its binarised image;
//! blur, noise, a shadow across the code and modules of two or three pixels break that long
//! before the code itself is unreadable, and its search costs a pass over the whole image.
//! Finders from the row scan and a transform checked against the code's own fixed patterns keep
//! reading where the blob detector gives up, for a few thousand samples per code.

use image::GrayImage;

use crate::code::Code;
use crate::finder::{Finder, Triple};
use crate::guard::guarded;
use crate::payload::{self, Message};

/// A projective map from module coordinates (u, v) to image coordinates (x, y).
#[derive(Debug, Clone, Copy)]
struct Perspective([f64; 9]);

impl Perspective {
    /// The unit square's corners (0,0), (1,0), (1,1), (0,1) onto `q` (Heckbert's closed form).
    fn square_to_quad(q: [(f64, f64); 4]) -> Option<Perspective> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dy1, dx2, dy2) = (x1 - x2, y1 - y2, x3 - x2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-12 {
            return None;
        }
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        Some(Perspective([x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1.0]))
    }

    /// The inverse map, up to a scale factor that the projective division cancels.
    fn adjugate(&self) -> Perspective {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        Perspective([
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ])
    }

    /// `self` first, then `next`.
    fn then(&self, next: &Perspective) -> Perspective {
        let (a, b) = (next.0, self.0);
        let mut m = [0.0; 9];
        for r in 0..3 {
            for c in 0..3 {
                m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
            }
        }
        Perspective(m)
    }

    /// The map taking the four points `from` onto the four points `to`.
    fn quad_to_quad(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Option<Perspective> {
        Some(Perspective::square_to_quad(from)?.adjugate().then(&Perspective::square_to_quad(to)?))
    }

    fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * u + m[7] * v + m[8];
        ((m[0] * u + m[1] * v + m[2]) / w, (m[3] * u + m[4] * v + m[5]) / w)
    }
}

/// Luma by bilinear interpolation, pixel centres at half-integers; `None` off the image. The
/// outer half pixel takes the edge pixel's value: a code cut out with no quiet zone has its
/// last modules' centres there.
fn luma_at(img: &GrayImage, x: f64, y: f64) -> Option<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if !(x >= 0.0 && y >= 0.0 && x <= w as f64 && y <= h as f64) || w < 2 || h < 2 {
        return None;
    }
    let (fx, fy) = ((x - 0.5).clamp(0.0, (w - 1) as f64), (y - 0.5).clamp(0.0, (h - 1) as f64));
    let (ix, iy) = ((fx as usize).min(w - 2), (fy as usize).min(h - 2));
    let (tx, ty) = ((fx - ix as f64) as f32, (fy - iy as f64) as f32);
    let raw = img.as_raw();
    let p = |x: usize, y: usize| raw[y * w + x] as f32;
    let top = p(ix, iy) * (1.0 - tx) + p(ix + 1, iy) * tx;
    let bottom = p(ix, iy + 1) * (1.0 - tx) + p(ix + 1, iy + 1) * tx;
    Some(top * (1.0 - ty) + bottom * ty)
}

/// The side of a version's symbol in modules.
fn side_of(version: usize) -> usize {
    17 + 4 * version
}

/// Where a finder's centre sits in module coordinates.
fn finder_centres(side: usize) -> [(f64, f64); 3] {
    let far = side as f64 - 3.5;
    [(3.5, 3.5), (far, 3.5), (3.5, far)]
}

/// What one triple cost and gave.
#[derive(Debug, Clone, Default)]
pub struct GridOutcome {
    pub code: Option<Code>,
    /// rqrr decoder calls made.
    pub decodes: u32,
    pub panics: u32,
    /// The finders frame something that shows a symbol's timing patterns along their whole
    /// length: worth another try by other means when the grid did not read.
    pub credible: bool,
}

/// The module grid of one candidate symbol: its side and the map from modules to pixels.
#[derive(Clone)]
struct Fit {
    side: usize,
    map: Warp,
}

/// How module coordinates land in the image: one perspective for a flat symbol, or that
/// perspective bent through the alignment patterns for a symbol on a curved or wavy page,
/// which no single perspective follows across a hundred modules.
#[derive(Clone)]
enum Warp {
    Flat(Perspective),
    Mesh(Mesh),
}

impl Warp {
    fn map(&self, u: f64, v: f64) -> (f64, f64) {
        match self {
            Warp::Flat(p) => p.map(u, v),
            Warp::Mesh(m) => m.map(u, v),
        }
    }
}

/// The flat fit moved by how far the alignment patterns were found from where it put them,
/// that offset interpolated smoothly (Catmull-Rom) between the patterns' centres: a page bends
/// between two patterns too, which straight cells between them would cut across.
#[derive(Clone)]
struct Mesh {
    flat: Perspective,
    /// The centres' module coordinates along either axis (the same list for rows and columns).
    centres: Vec<f64>,
    /// The offsets (pixels) at the centres, row by row.
    offsets: Vec<(f64, f64)>,
}

impl Mesh {
    fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let k = self.centres.len();
        // The cell and how far across it, for one axis; beyond the outer centres the edge
        // cells go on (t outside 0..1).
        let locate = |t: f64| {
            let i = self.centres[1..k - 1].iter().take_while(|&&c| c <= t).count();
            (i, (t - self.centres[i]) / (self.centres[i + 1] - self.centres[i]))
        };
        let ((i, s), (j, t)) = (locate(u), locate(v));
        let weights = |t: f64| {
            let (t2, t3) = (t * t, t * t * t);
            [
                (-t3 + 2.0 * t2 - t) / 2.0,
                (3.0 * t3 - 5.0 * t2 + 2.0) / 2.0,
                (-3.0 * t3 + 4.0 * t2 + t) / 2.0,
                (t3 - t2) / 2.0,
            ]
        };
        let (ws, wt) = (weights(s.clamp(0.0, 1.0)), weights(t.clamp(0.0, 1.0)));
        let clampi = |n: isize| n.clamp(0, k as isize - 1) as usize;
        let (mut dx, mut dy) = (0.0, 0.0);
        for (b, wb) in wt.iter().enumerate() {
            for (a, wa) in ws.iter().enumerate() {
                let (ii, jj) = (clampi(i as isize + a as isize - 1), clampi(j as isize + b as isize - 1));
                let o = self.offsets[jj * k + ii];
                dx += wa * wb * o.0;
                dy += wa * wb * o.1;
            }
        }
        let (x, y) = self.flat.map(u, v);
        (x + dx, y + dy)
    }
}

/// The rows (and columns) of a version's alignment patterns' centres, as the symbol's table
/// lists them (ISO/IEC 18004 Annex E): from 6 to the side less 7, evenly spaced from the far
/// end by an even step, the first gap taking what is left over. Version 1 has none.
fn alignment_rows(version: usize) -> Vec<usize> {
    if version < 2 {
        return Vec::new();
    }
    let count = version / 7 + 2;
    let step = if version == 32 { 26 } else { (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2 };
    let last = side_of(version) - 7;
    let mut rows: Vec<usize> = (0..count - 1).map(|k| last - k * step).collect();
    rows.push(6);
    rows.reverse();
    rows
}

/// Reads the code the triple frames in `img` (the image the triple's coordinates refer to).
pub fn read(img: &GrayImage, triple: &Triple) -> GridOutcome {
    read_until(img, triple, &|| false)
}

/// `read`, asking `stop` before each error correction: on a version 40 symbol one costs
/// milliseconds, so the frame's deadline is asked between them.
pub fn read_until(img: &GrayImage, triple: &Triple, stop: &dyn Fn() -> bool) -> GridOutcome {
    let mut outcome = GridOutcome::default();
    let dark_is_low = !triple.inverted();
    // Sides whose timing patterns show, most convincing first; a triple of unrelated finders
    // shows none and costs little more. A parallelogram through the finders drifts under
    // strong perspective, so a side that nearly shows gets the alignment pattern's fit too.
    let mut unaligned: Vec<(f32, Fit)> = candidate_sides(triple)
        .into_iter()
        .filter_map(|side| {
            [fit_finders(triple, side), fit_foreshortened(triple, side)]
                .into_iter()
                .flatten()
                .filter_map(|fit| Some((fixed_pattern_agreement(img, &fit, dark_is_low, TIMING_REACH)?, fit)))
                .max_by(|a, b| a.0.total_cmp(&b.0))
        })
        .filter(|(agreement, _)| *agreement >= MIN_AGREEMENT_UNALIGNED)
        .collect();
    unaligned.sort_by(|a, b| b.0.total_cmp(&a.0));
    // A symbol of version 7 and up states its version next to two of its finders. On a dense
    // code the timing near the finders barely tells one side from the next (four modules in a
    // hundred and fifty), so the side it states goes first, whatever its agreement.
    let stated = unaligned.first().and_then(|(_, fit)| read_version(img, fit, dark_is_low)).map(side_of);
    if let Some(stated) = stated {
        match unaligned.iter().position(|(_, fit)| fit.side == stated) {
            Some(i) => unaligned[..=i].rotate_right(1),
            None => {
                let fits = [fit_finders(triple, stated), fit_foreshortened(triple, stated)];
                let best = fits
                    .into_iter()
                    .flatten()
                    .filter_map(|fit| Some((fixed_pattern_agreement(img, &fit, dark_is_low, TIMING_REACH)?, fit)))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                if let Some(best) = best {
                    unaligned.insert(0, best);
                }
            }
        }
    }
    unaligned.truncate(ALIGNMENT_SEARCHES);
    let mut fits: Vec<(f32, Fit)> = Vec::new();
    for (agreement, fit) in &unaligned {
        if fit.side > 21 {
            if let Some(aligned) = fit_alignment(img, fit, triple, dark_is_low) {
                if let Some(a) = fixed_pattern_agreement(img, &aligned, dark_is_low, TIMING_REACH) {
                    fits.push((a, aligned));
                }
            }
        }
        fits.push((*agreement, fit.clone()));
    }
    fits.retain(|(agreement, _)| *agreement >= MIN_AGREEMENT);
    // The whole length of the timing patterns, before the whole grid is sampled: a fit that
    // only holds near the finders, or unrelated finders that matched there by chance, stop here.
    let whole_length = |fit: Fit| Some((fixed_pattern_agreement(img, &fit, dark_is_low, fit.side.div_ceil(2))?, fit));
    let mut fits: Vec<(f32, Fit)> =
        fits.into_iter().filter_map(|(_, fit)| whole_length(fit)).filter(|(a, _)| *a >= MIN_AGREEMENT).collect();
    fits.sort_by(|a, b| b.0.total_cmp(&a.0));
    fits.truncate(FITS_TRIED);
    outcome.credible = !fits.is_empty();
    if decode_fits(img, &fits, dark_is_low, MAX_DECODES, &mut outcome, stop) {
        return outcome;
    }
    // A dense code on a bent card or page shows its timing patterns only in part through any
    // one perspective: when it stated its version and no perspective read it, it gets the grid
    // through all its alignment patterns. Their search costs more than a perspective, and a
    // triple of unrelated finders rarely states a version.
    let Some(stated) = stated else { return outcome };
    let mesh = unaligned
        .iter()
        .find(|(_, fit)| fit.side == stated)
        .and_then(|(_, fit)| fit_mesh(img, fit, dark_is_low))
        .and_then(whole_length)
        .filter(|(agreement, _)| *agreement >= MIN_AGREEMENT);
    if let Some(mesh) = mesh {
        outcome.credible = true;
        decode_fits(img, &[mesh], dark_is_low, outcome.decodes + MESH_DECODES, &mut outcome, stop);
    }
    outcome
}

/// Samples each fit's grid and sends its binarisations to rqrr until one reads (`true`, the
/// code in `outcome`), `stop` says so or `outcome` has made `limit` decodes.
fn decode_fits(
    img: &GrayImage,
    fits: &[(f32, Fit)],
    dark_is_low: bool,
    limit: u32,
    outcome: &mut GridOutcome,
    stop: &dyn Fn() -> bool,
) -> bool {
    for (_, fit) in fits {
        let Some(values) = sample(img, fit) else { continue };
        for bits in binarisations(&values, fit.side, dark_is_low) {
            if !plausible(&bits, fit.side) {
                continue;
            }
            if outcome.decodes >= limit || stop() {
                return false;
            }
            outcome.decodes += 1;
            match decode_bits(&bits, fit.side) {
                Some(Some(message)) => {
                    let side = fit.side as f64;
                    let corners = [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side)].map(|(u, v)| {
                        let (x, y) = fit.map.map(u, v);
                        (x as f32, y as f32)
                    });
                    outcome.code = Some(Code::from_message(message, corners));
                    return true;
                }
                Some(None) => {}
                None => outcome.panics += 1,
            }
        }
    }
    false
}

/// The share of timing and separator modules a fit must show right before the whole grid is
/// sampled: a wrong side or unrelated finders score about a half.
const MIN_AGREEMENT: f32 = 0.72;

/// rqrr error corrections for the alignment patterns' grid, after the perspectives' own.
const MESH_DECODES: u32 = 2;

/// A parallelogram fit scoring this much is worth an alignment search.
const MIN_AGREEMENT_UNALIGNED: f32 = 0.6;

/// How many of the modules whose colour every symbol fixes (the timing patterns and the light
/// separators along the finders) the fit shows right, as a share; `None` off the image. Timing
/// modules are looked at up to `reach` from each finder. A short reach is the first test: a
/// parallelogram fit drifts from the true perspective towards the middle of an edge but not
/// near the finders that anchor it, and a wrong side already puts the timing out of step a few
/// modules from its finder. Half the side covers each timing pattern end to end.
fn fixed_pattern_agreement(img: &GrayImage, fit: &Fit, dark_is_low: bool, reach: usize) -> Option<f32> {
    let n = fit.side;
    let reach = (n - 16).min(reach);
    let near_tl: Vec<(usize, usize, bool)> = (0..reach)
        .flat_map(|k| [(8 + k, 6, k % 2 == 0), (6, 8 + k, k % 2 == 0)])
        .chain((0..8).flat_map(|i| [(i, 7, false), (7, i, false)]))
        .collect();
    let near_tr: Vec<(usize, usize, bool)> = (0..reach)
        .map(|k| (n - 9 - k, 6, k % 2 == 0))
        .chain((0..8).flat_map(|i| [(n - 1 - i, 7, false), (n - 8, i, false)]))
        .collect();
    let near_bl: Vec<(usize, usize, bool)> = (0..reach)
        .map(|k| (6, n - 9 - k, k % 2 == 0))
        .chain((0..8).flat_map(|i| [(i, n - 8, false), (7, n - 1 - i, false)]))
        .collect();
    let (mut agree, mut total) = (0, 0);
    for stretch in [near_tl, near_tr, near_bl] {
        let mut samples = Vec::with_capacity(stretch.len());
        for (x, y, dark) in stretch {
            let (px, py) = fit.map.map(x as f64 + 0.5, y as f64 + 0.5);
            let l = luma_at(img, px, py)?;
            samples.push((if dark_is_low { l } else { 255.0 - l }, dark));
        }
        // Each stretch gets its own level: a shadow edge may cross the code between them.
        let mean = |want: bool| {
            let (sum, count) = samples.iter().filter(|s| s.1 == want).fold((0.0, 0), |(s, c), v| (s + v.0, c + 1));
            sum / count.max(1) as f32
        };
        let level = (mean(true) + mean(false)) / 2.0;
        agree += samples.iter().filter(|&&(l, dark)| (l < level) == dark).count();
        total += samples.len();
    }
    Some(agree as f32 / total as f32)
}

/// rqrr error corrections per triple: each costs about as much as sampling a dozen grids, and
/// a triple whose best fits and binarisations failed four times is not going to read.
const MAX_DECODES: u32 = 4;

/// Sides per triple whose alignment pattern is searched for, best parallelogram first.
const ALIGNMENT_SEARCHES: usize = 2;

/// Fits sampled per triple, best agreement first.
const FITS_TRIED: usize = 3;

/// Timing modules looked at from each finder.
const TIMING_REACH: usize = 10;

/// Symbol sides worth a look, from the finders' spacing and module sizes. The module size
/// measured along image rows and columns is too large by 1/cos of the code's rotation, so it is
/// corrected by the direction of the top edge; what remains is noisy (blur, a few rows of
/// evidence per finder), so every side within a generous band is a candidate and the fixed
/// patterns decide.
fn candidate_sides(t: &Triple) -> Vec<usize> {
    let d = |a: &Finder, b: &Finder| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    let angle = (t.top_right.y - t.top_left.y).atan2(t.top_right.x - t.top_left.x);
    let quarter = std::f32::consts::FRAC_PI_2;
    let folded = angle.rem_euclid(quarter);
    let folded = folded.min(quarter - folded);
    let module = (t.top_left.module + t.top_right.module + t.bottom_left.module) / 3.0 * folded.cos();
    let spacing = (d(&t.top_left, &t.top_right) + d(&t.top_left, &t.bottom_left)) / 2.0;
    let estimate = spacing / module + 7.0;
    let (lo, hi) = (estimate * 0.75 - 2.0, estimate * 1.35 + 2.0);
    let mut sides: Vec<usize> = (1..=40).map(side_of).filter(|&s| (lo..=hi).contains(&(s as f32))).collect();
    sides.sort_by(|a, b| (*a as f32 - estimate).abs().total_cmp(&(*b as f32 - estimate).abs()));
    sides
}

/// The map that puts the three finder centres where the symbol has them, the fourth corner
/// closing the parallelogram.
fn fit_finders(t: &Triple, side: usize) -> Option<Fit> {
    fit_fourth(t, side, (1.0, 1.0))
}

/// The map through the three finder centres whose fourth corner sits at `(s, r)` in the
/// frame spanned by top-left → top-right and top-left → bottom-left ((1, 1) closes the
/// parallelogram).
fn fit_fourth(t: &Triple, side: usize, (s, r): (f64, f64)) -> Option<Fit> {
    let [tl, tr, bl] = finder_centres(side);
    let far = side as f64 - 3.5;
    let p = |f: &Finder| (f.x as f64, f.y as f64);
    let (a, b, c) = (p(&t.top_left), p(&t.top_right), p(&t.bottom_left));
    let fourth = (a.0 + (b.0 - a.0) * s + (c.0 - a.0) * r, a.1 + (b.1 - a.1) * s + (c.1 - a.1) * r);
    let map = Perspective::quad_to_quad([tl, tr, (far, far), bl], [a, b, fourth, c])?;
    Some(Fit { side, map: Warp::Flat(map) })
}

/// The map whose perspective makes modules shrink from one finder to the next as the finders'
/// own module sizes do: a badge turned away from the camera is foreshortened along the whole
/// code, and a parallelogram spaces the modules near the finders wrongly enough to miss the
/// timing patterns. Module size scales with the square of the projective weight's ratio
/// between two points, hence the square roots.
fn fit_foreshortened(t: &Triple, side: usize) -> Option<Fit> {
    let ratio = |other: &Finder| ((t.top_left.module / other.module) as f64).sqrt().clamp(0.7, 1.4);
    let (g, h) = (ratio(&t.top_right), ratio(&t.bottom_left));
    let w = g + h - 1.0;
    if w <= 0.1 {
        return None;
    }
    fit_fourth(t, side, (g / w, h / w))
}

/// Light minus dark of the 5×5 alignment pattern: its ring of light modules against its dark
/// centre and outer ring, given luma at a module offset from the centre.
fn alignment_contrast(at: impl Fn(f64, f64) -> Option<f32>, dark_is_low: bool) -> Option<f32> {
    let mut dark = 0.0;
    let mut light = 0.0;
    for (du, dv) in [
        (0.0, 0.0),
        (-2.0, -2.0),
        (0.0, -2.0),
        (2.0, -2.0),
        (2.0, 0.0),
        (2.0, 2.0),
        (0.0, 2.0),
        (-2.0, 2.0),
        (-2.0, 0.0),
    ] {
        dark += at(du, dv)?;
    }
    for (du, dv) in
        [(-1.0, -1.0), (0.0, -1.0), (1.0, -1.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (-1.0, 1.0), (-1.0, 0.0)]
    {
        light += at(du, dv)?;
    }
    let contrast = light / 8.0 - dark / 9.0;
    Some(if dark_is_low { contrast } else { -contrast })
}

/// The clearest alignment pattern within `half_steps` half-modules of `around(0, 0)`, on a
/// lattice of half-module steps sampled once (so each candidate centre costs lookups rather than
/// projections), each candidate's contrast less `per_module` for each module it lies off centre:
/// (that ranked contrast, its offset in modules).
fn coarse_alignment(
    img: &GrayImage,
    around: &dyn Fn(f64, f64) -> (f64, f64),
    dark_is_low: bool,
    half_steps: i64,
    per_module: f32,
) -> Option<(f32, f64, f64)> {
    let span = half_steps + 4;
    let width = (2 * span + 1) as usize;
    let mut lattice = vec![f32::NAN; width * width];
    for j in 0..width {
        for i in 0..width {
            let (x, y) = around((i as i64 - span) as f64 * 0.5, (j as i64 - span) as f64 * 0.5);
            if let Some(l) = luma_at(img, x, y) {
                lattice[j * width + i] = l;
            }
        }
    }
    let mut best: Option<(f32, f64, f64)> = None;
    for cj in -half_steps..=half_steps {
        for ci in -half_steps..=half_steps {
            let at = |du: f64, dv: f64| {
                let (i, j) = ((span + ci + (du * 2.0) as i64) as usize, (span + cj + (dv * 2.0) as i64) as usize);
                let l = lattice[j * width + i];
                (!l.is_nan()).then_some(l)
            };
            if let Some(score) = alignment_contrast(at, dark_is_low) {
                let distance = ((ci * ci + cj * cj) as f32).sqrt() * 0.5;
                let ranked = score - per_module * distance;
                if best.is_none_or(|b| ranked > b.0) {
                    best = Some((ranked, ci as f64 * 0.5, cj as f64 * 0.5));
                }
            }
        }
    }
    best
}

/// Finds the bottom-right alignment pattern near where the finders put it and refits the map
/// to all four points, which takes out the perspective a parallelogram cannot follow.
fn fit_alignment(img: &GrayImage, fit: &Fit, t: &Triple, dark_is_low: bool) -> Option<Fit> {
    let side = fit.side as f64;
    let expected = side - 6.5;
    // Perspective moves the pattern by a module or two on a tilted badge; the search reaches
    // further on larger symbols, where the same tilt moves it more.
    let reach = (side / 12.0).clamp(2.5, 6.0);
    let around = |du: f64, dv: f64| fit.map.map(expected + du, expected + dv);
    let (score, du, dv) = coarse_alignment(img, &around, dark_is_low, (reach * 2.0).round() as i64, 0.0)?;
    let mut best = Some((score, expected + du, expected + dv));
    // Then quarter-module steps around the best coarse centre.
    let (_, cu, cv) = best?;
    for j in -2..=2 {
        for i in -2..=2 {
            let (u, v) = (cu + i as f64 * 0.25, cv + j as f64 * 0.25);
            let at = |du: f64, dv: f64| {
                let (x, y) = fit.map.map(u + du, v + dv);
                luma_at(img, x, y)
            };
            if let Some(score) = alignment_contrast(at, dark_is_low) {
                if best.is_none_or(|b| score > b.0) {
                    best = Some((score, u, v));
                }
            }
        }
    }
    let (score, u, v) = best?;
    if score < 8.0 {
        return None;
    }
    let found = fit.map.map(u, v);
    let [tl, tr, bl] = finder_centres(fit.side);
    let p = |f: &Finder| (f.x as f64, f.y as f64);
    let map = Perspective::quad_to_quad(
        [tl, tr, (expected, expected), bl],
        [p(&t.top_left), p(&t.top_right), found, p(&t.bottom_left)],
    )?;
    Some(Fit { side: fit.side, map: Warp::Flat(map) })
}

/// How far (modules) from where its neighbours put it an alignment pattern is looked for: a
/// page bent so that its middle sags six modules below the line through its finders moves
/// each pattern by two or three from where its neighbours' offsets predict.
const MESH_REACH: f64 = 3.0;

/// The grid through every alignment pattern of the symbol (version 7 and up, which have them
/// inside the symbol as well as at its bottom right): each is looked for where `fit` puts it,
/// moved by how far its already found neighbours were from where `fit` put them, so the search
/// follows a bend across the symbol; one not found stays where its neighbours predict.
fn fit_mesh(img: &GrayImage, fit: &Fit, dark_is_low: bool) -> Option<Fit> {
    let version = (fit.side - 17) / 4;
    if version < 7 {
        return None;
    }
    let rows: Vec<f64> = alignment_rows(version).into_iter().map(|r| r as f64 + 0.5).collect();
    let k = rows.len();
    // Offsets (pixels) of the found centres from where `fit` puts them; the three next to the
    // finders have no pattern and are where the finders put them.
    let mut offsets: Vec<Option<(f64, f64)>> = vec![None; k * k];
    let corners = [(0, 0), (k - 1, 0), (0, k - 1)];
    for (i, j) in corners {
        offsets[j * k + i] = Some((0.0, 0.0));
    }
    // Outwards from the finders, so each pattern is looked for where its nearer, already found
    // neighbours say the page has moved it: a bend grows smoothly across the symbol.
    let mut order: Vec<(usize, usize)> = (0..k * k).map(|n| (n % k, n / k)).collect();
    order.sort_by_key(|&(i, j)| corners.iter().map(|&(ci, cj)| i.abs_diff(ci) + j.abs_diff(cj)).min());
    let neighbours = |i: usize, j: usize| {
        [(i.wrapping_sub(1), j), (i + 1, j), (i, j.wrapping_sub(1)), (i, j + 1)]
            .into_iter()
            .filter(|&(a, b)| a < k && b < k)
    };
    let mean_of = |offsets: &[Option<(f64, f64)>], i: usize, j: usize| {
        let known: Vec<(f64, f64)> = neighbours(i, j).filter_map(|(a, b)| offsets[b * k + a]).collect();
        let n = known.len().max(1) as f64;
        known.iter().fold((0.0, 0.0), |acc, o| (acc.0 + o.0 / n, acc.1 + o.1 / n))
    };
    let module = {
        let (a, b) = (fit.map.map(0.0, 0.0), fit.map.map(fit.side as f64, 0.0));
        ((a.0 - b.0).hypot(a.1 - b.1) / fit.side as f64).max(0.5)
    };
    let search = |offsets: &[Option<(f64, f64)>], i: usize, j: usize, reach: f64| {
        let guess = mean_of(offsets, i, j);
        let (u, v) = (rows[i], rows[j]);
        let (x, y) = fit.map.map(u, v);
        let shifted = |du: f64, dv: f64| {
            let (px, py) = fit.map.map(u + du, v + dv);
            (px + guess.0, py + guess.1)
        };
        match find_alignment(img, &shifted, dark_is_low, reach) {
            Some((px, py)) => (true, (px - x, py - y)),
            None => (false, guess),
        }
    };
    let mut found = 0;
    for &(i, j) in &order {
        if offsets[j * k + i].is_some() {
            continue;
        }
        let (hit, offset) = search(&offsets, i, j, MESH_REACH);
        found += usize::from(hit);
        offsets[j * k + i] = Some(offset);
    }
    // A pattern found far from where all its neighbours put it is a patch of data that looked
    // like one: it is looked for again, closer to where they say.
    for &(i, j) in &order {
        if corners.contains(&(i, j)) {
            continue;
        }
        let mean = mean_of(&offsets, i, j);
        let own = offsets[j * k + i].unwrap_or(mean);
        if (own.0 - mean.0).hypot(own.1 - mean.1) > 1.5 * module {
            offsets[j * k + i] = Some(search(&offsets, i, j, 1.0).1);
        }
    }
    // Fewer than half the patterns found is not a symbol's lattice, or not one worth the cells.
    if found * 2 < k * k - 3 {
        return None;
    }
    let Warp::Flat(flat) = fit.map else { return None };
    let offsets = offsets.into_iter().map(|o| o.unwrap_or((0.0, 0.0))).collect();
    Some(Fit { side: fit.side, map: Warp::Mesh(Mesh { flat, centres: rows, offsets }) })
}

/// The image position of the clearest alignment pattern within `reach` modules of
/// `around(0, 0)` (nearer ones preferred), `around` mapping module offsets to pixels; `None`
/// when nothing there looks like one.
fn find_alignment(
    img: &GrayImage,
    around: &dyn Fn(f64, f64) -> (f64, f64),
    dark_is_low: bool,
    reach: f64,
) -> Option<(f64, f64)> {
    // A pattern found two modules off must beat one where it was expected by this much a
    // module: data modules make alignment-like patches, but rarely a clearer one.
    const PER_MODULE: f32 = 3.0;
    let (_, cu, cv) = coarse_alignment(img, around, dark_is_low, (reach * 2.0) as i64, PER_MODULE)?;
    let mut refined: Option<(f32, f64, f64)> = None;
    for j in -2..=2 {
        for i in -2..=2 {
            let (u, v) = (cu + i as f64 * 0.25, cv + j as f64 * 0.25);
            let at = |du: f64, dv: f64| {
                let (x, y) = around(u + du, v + dv);
                luma_at(img, x, y)
            };
            if let Some(score) = alignment_contrast(at, dark_is_low) {
                if refined.is_none_or(|b| score > b.0) {
                    refined = Some((score, u, v));
                }
            }
        }
    }
    let (score, u, v) = refined?;
    (score >= 8.0).then(|| around(u, v))
}

/// The 18-bit version information of `version` (7 to 40): the version in six bits and twelve
/// bits of its BCH code (generator x^12 + x^11 + x^10 + x^9 + x^8 + x^5 + x^2 + 1), ISO/IEC
/// 18004 Annex D.
fn version_codeword(version: usize) -> u32 {
    const GENERATOR: u32 = 0x1F25;
    let mut remainder = (version as u32) << 12;
    for bit in (12..18).rev() {
        if remainder & (1 << bit) != 0 {
            remainder ^= GENERATOR << (bit - 12);
        }
    }
    ((version as u32) << 12) | remainder
}

/// The version a symbol states in its version information (version 7 and up), read through a
/// fit whose side may be a few modules wrong: both blocks sit at fixed offsets from the finder
/// beside them, where such a fit is still right. `None` when neither block is within the
/// code's three correctable errors of a version the finders' spacing allows, or the fit's side
/// is too small for a symbol that has them.
fn read_version(img: &GrayImage, fit: &Fit, dark_is_low: bool) -> Option<usize> {
    if fit.side < side_of(6) {
        return None;
    }
    let n = fit.side as f64;
    // Bit i of the block beside the top-right finder is at column side - 11 + i % 3, row i / 3;
    // the bottom-left block is its mirror.
    let blocks: [&dyn Fn(usize) -> (f64, f64); 2] = [&|i| (n - 10.5 + (i % 3) as f64, (i / 3) as f64 + 0.5), &|i| {
        ((i / 3) as f64 + 0.5, n - 10.5 + (i % 3) as f64)
    }];
    let mut best: Option<(u32, usize)> = None;
    for block in blocks {
        let mut values = [0f32; 18];
        for (i, value) in values.iter_mut().enumerate() {
            let (u, v) = block(i);
            let (x, y) = fit.map.map(u, v);
            let l = luma_at(img, x, y)?;
            *value = if dark_is_low { l } else { 255.0 - l };
        }
        let mut level = values.iter().sum::<f32>() / 18.0;
        for _ in 0..4 {
            let dark: Vec<f32> = values.iter().copied().filter(|&v| v < level).collect();
            let light: Vec<f32> = values.iter().copied().filter(|&v| v >= level).collect();
            if dark.is_empty() || light.is_empty() {
                break;
            }
            level =
                (dark.iter().sum::<f32>() / dark.len() as f32 + light.iter().sum::<f32>() / light.len() as f32) / 2.0;
        }
        let read = values.iter().enumerate().fold(0u32, |bits, (i, &v)| bits | (u32::from(v < level) << i));
        for version in 7..=40 {
            let distance = (version_codeword(version) ^ read).count_ones();
            if distance <= 3 && best.is_none_or(|b| distance < b.0) {
                best = Some((distance, version));
            }
        }
    }
    // A version far from what the finders' spacing says is data read as version bits.
    let version = best?.1;
    let estimate = (n - 17.0) / 4.0;
    ((version as f64 - estimate).abs() <= (estimate * 0.25).max(3.0)).then_some(version)
}

/// Each module's luma at its centre (bilinear, so a centre between pixels still sees the
/// module rather than one neighbour); `None` when the symbol runs off the image.
fn sample(img: &GrayImage, fit: &Fit) -> Option<Vec<f32>> {
    let n = fit.side;
    let mut values = Vec::with_capacity(n * n);
    let mut missing = 0;
    for y in 0..n {
        for x in 0..n {
            let (px, py) = fit.map.map(x as f64 + 0.5, y as f64 + 0.5);
            let value = luma_at(img, px, py).unwrap_or_else(|| {
                missing += 1;
                f32::NAN
            });
            values.push(value);
        }
    }
    // A few modules off the edge are what error correction is for; more is not a symbol here.
    if missing * 10 > n * n {
        return None;
    }
    Some(values)
}

/// Bits (`true` = dark module) under a few thresholds: the module's neighbourhood mean (a
/// shadow edge or glare across the code), then one level between the two clusters of the
/// whole symbol (even light, where local means are pulled by runs of one colour).
fn binarisations(values: &[f32], n: usize, dark_is_low: bool) -> Vec<Vec<bool>> {
    let fill = {
        let known: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        known.iter().sum::<f32>() / known.len().max(1) as f32
    };
    let values: Vec<f32> = values.iter().map(|&v| if v.is_nan() { fill } else { v }).collect();
    let dark = |v: f32, level: f32| if dark_is_low { v < level } else { v > level };
    let mut out = Vec::with_capacity(3);
    // Summed-area table of the module values for neighbourhood means.
    let mut table = vec![0f32; (n + 1) * (n + 1)];
    for y in 0..n {
        let mut acc = 0.0;
        for x in 0..n {
            acc += values[y * n + x];
            table[(y + 1) * (n + 1) + x + 1] = table[y * (n + 1) + x + 1] + acc;
        }
    }
    for radius in [3usize, 6] {
        let bits = (0..n * n)
            .map(|i| {
                let (x, y) = (i % n, i / n);
                let (x0, y0, x1, y1) = (
                    x.saturating_sub(radius),
                    y.saturating_sub(radius),
                    (x + radius + 1).min(n),
                    (y + radius + 1).min(n),
                );
                let sum = table[y1 * (n + 1) + x1] + table[y0 * (n + 1) + x0]
                    - table[y0 * (n + 1) + x1]
                    - table[y1 * (n + 1) + x0];
                let mean = sum / ((x1 - x0) * (y1 - y0)) as f32;
                dark(values[i], mean)
            })
            .collect();
        out.push(bits);
    }
    let mut level = fill;
    for _ in 0..8 {
        let (mut lo, mut lo_n, mut hi, mut hi_n) = (0.0, 0, 0.0, 0);
        for &v in &values {
            if v < level {
                lo += v;
                lo_n += 1;
            } else {
                hi += v;
                hi_n += 1;
            }
        }
        if lo_n == 0 || hi_n == 0 {
            break;
        }
        level = (lo / lo_n as f32 + hi / hi_n as f32) / 2.0;
    }
    out.push(values.iter().map(|&v| dark(v, level)).collect());
    out
}

/// Whether the sampled bits show the fixed patterns of a symbol well enough to be worth
/// rqrr's error correction, which costs far more than this check: the timing rows alternate
/// and the finders' outer rings are dark along the middle of each side. Not at their corners:
/// designed codes draw round finders (a bull's eye), whose ring leaves the corner modules
/// light, and decoders read them.
fn plausible(bits: &[bool], n: usize) -> bool {
    let at = |x: usize, y: usize| bits[y * n + x];
    let mut agree = 0;
    let mut total = 0;
    for i in 8..n - 8 {
        total += 2;
        agree += usize::from(at(i, 6) == (i % 2 == 0)) + usize::from(at(6, i) == (i % 2 == 0));
    }
    for (fx, fy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
        for i in 2..5 {
            total += 4;
            agree += usize::from(at(fx + i, fy))
                + usize::from(at(fx + i, fy + 6))
                + usize::from(at(fx, fy + i))
                + usize::from(at(fx + 6, fy + i));
        }
    }
    agree * 10 >= total * 7
}

/// rqrr's decoder on the bits: `Some(Some(message))` when it reads, `Some(None)` when it does
/// not, `None` when it panicked. A stream rqrr refuses after correcting it (a structured-append
/// header) is read by the crate's own payload reader.
fn decode_bits(bits: &[bool], n: usize) -> Option<Option<Message>> {
    guarded(|| {
        let grid = rqrr::Grid::new(rqrr::SimpleGrid::from_func(n, |x, y| bits[y * n + x]));
        let mut bytes = Vec::new();
        match grid.decode_to(&mut bytes) {
            Ok(_) => Some(Message { bytes, part: None }),
            Err(rqrr::DeQRError::UnknownDataType) => payload::read(bits, n),
            Err(_) => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finder::Region;

    const BADGE: &str = "QG1:NV00123 ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// `text` as a symbol whose corners land on `quad` (top-left, top-right, bottom-right,
    /// bottom-left) in a `size`-square image, with the given module colours on a light ground
    /// (dark ground for light-on-dark), and the triple a finder scan would report for it.
    fn projected(text: &str, quad: [(f64, f64); 4], size: u32, dark: u8, light: u8) -> (GrayImage, Triple) {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
        let n = code.width();
        let colors = code.to_colors();
        let side = n as f64;
        let map = Perspective::quad_to_quad([(0.0, 0.0), (side, 0.0), (side, side), (0.0, side)], quad).unwrap();
        let back = map.adjugate();
        let img = GrayImage::from_fn(size, size, |x, y| {
            let (u, v) = back.map(x as f64 + 0.5, y as f64 + 0.5);
            let inside = u >= 0.0 && v >= 0.0 && u < side && v < side;
            let is_dark = inside && colors[v as usize * n + u as usize] == qrcode::Color::Dark;
            image::Luma([if is_dark { dark } else { light }])
        });
        let inverted = dark > light;
        let centre = |u: f64, v: f64| {
            let (x, y) = map.map(u, v);
            let (x1, _) = map.map(u + 1.0, v);
            let module = (x1 - x).abs().max(1.0) as f32;
            Finder { x: x as f32, y: y as f32, module, inverted, hits: 5, contrast: 100.0 }
        };
        let far = side - 3.5;
        let region = Region { x0: 0.0, y0: 0.0, x1: size as f32, y1: size as f32, module: 3.0, inverted };
        let triple = Triple {
            top_left: centre(3.5, 3.5),
            top_right: centre(far, 3.5),
            bottom_left: centre(3.5, far),
            region,
            score: 1.0,
        };
        (img, triple)
    }

    /// The corners of a square `width` pixels wide, turned by `roll` about the image centre.
    fn turned(width: f64, roll: f64, size: u32) -> [(f64, f64); 4] {
        let c = size as f64 / 2.0;
        let half = width / 2.0;
        [(-half, -half), (half, -half), (half, half), (-half, half)]
            .map(|(x, y)| (c + x * roll.cos() - y * roll.sin(), c + x * roll.sin() + y * roll.cos()))
    }

    #[test]
    fn perspective_maps_quads_onto_quads() {
        let from = [(3.5, 3.5), (41.5, 3.5), (38.5, 38.5), (3.5, 41.5)];
        let to = [(100.0, 80.0), (260.0, 95.0), (240.0, 250.0), (90.0, 240.0)];
        let map = Perspective::quad_to_quad(from, to).unwrap();
        for (f, t) in from.iter().zip(to) {
            let (x, y) = map.map(f.0, f.1);
            assert!((x - t.0).abs() < 1e-6 && (y - t.1).abs() < 1e-6, "{f:?} -> ({x}, {y}), want {t:?}");
        }
    }

    #[test]
    fn a_turned_symbol_reads_from_its_finder_centres() {
        let (img, triple) = projected(BADGE, turned(110.0, 0.5, 240), 240, 30, 220);
        let outcome = read(&img, &triple);
        assert_eq!(outcome.code.map(|c| c.text).as_deref(), Some(BADGE));
    }

    #[test]
    fn a_badge_turned_away_from_the_camera_reads_through_its_perspective() {
        // One edge a third shorter than the other: a parallelogram through the finders puts
        // the far modules more than a module off.
        let quad = [(60.0, 40.0), (250.0, 80.0), (240.0, 210.0), (50.0, 260.0)];
        let (img, triple) = projected(BADGE, quad, 300, 40, 210);
        let outcome = read(&img, &triple);
        assert!(outcome.credible);
        assert_eq!(outcome.code.map(|c| c.text).as_deref(), Some(BADGE));
    }

    #[test]
    fn a_symbol_cut_out_with_no_quiet_zone_reads_to_its_edge() {
        let n = qrcode::QrCode::with_error_correction_level(BADGE.as_bytes(), qrcode::EcLevel::M).unwrap().width();
        let size = n as f64;
        let quad = [(0.0, 0.0), (size, 0.0), (size, size), (0.0, size)];
        let (img, triple) = projected(BADGE, quad, size as u32, 30, 220);
        let outcome = read(&img, &triple);
        assert_eq!(outcome.code.map(|c| c.text).as_deref(), Some(BADGE));
    }

    #[test]
    fn a_dark_mode_phone_reads_light_on_dark() {
        let (img, triple) = projected(BADGE, turned(125.0, -0.3, 260), 260, 235, 15);
        assert!(triple.inverted());
        let outcome = read(&img, &triple);
        assert_eq!(outcome.code.map(|c| c.text).as_deref(), Some(BADGE));
    }

    #[test]
    fn finders_of_unrelated_things_cost_no_error_correction() {
        let (img, mut triple) = projected(BADGE, turned(110.0, 0.2, 240), 240, 30, 220);
        // The bottom-left finder moved off the code: no side shows the timing patterns.
        triple.bottom_left.x += 25.0;
        triple.bottom_left.y -= 30.0;
        let outcome = read(&img, &triple);
        assert!(outcome.code.is_none() && !outcome.credible);
        assert_eq!(outcome.decodes, 0);
    }

    #[test]
    fn a_designed_code_with_round_finders_reads() {
        let (mut img, triple) = projected(BADGE, turned(180.0, 0.0, 260), 260, 30, 220);
        // Each finder redrawn as a bull's eye: a ring where the square's was, a round core.
        let module = triple.top_left.module;
        for f in [triple.top_left, triple.top_right, triple.bottom_left] {
            for y in (f.y - 4.0 * module) as u32..(f.y + 4.0 * module) as u32 {
                for x in (f.x - 4.0 * module) as u32..(f.x + 4.0 * module) as u32 {
                    let (dx, dy) = ((x as f32 + 0.5 - f.x) / module, (y as f32 + 0.5 - f.y) / module);
                    let r = (dx * dx + dy * dy).sqrt();
                    if dx.abs() < 3.5 && dy.abs() < 3.5 {
                        let dark = r < 1.5 || (2.5..3.5).contains(&r);
                        img.put_pixel(x, y, image::Luma([if dark { 30 } else { 220 }]));
                    }
                }
            }
        }
        let outcome = read(&img, &triple);
        assert_eq!(outcome.code.map(|c| c.text).as_deref(), Some(BADGE));
    }

    #[test]
    fn alignment_patterns_sit_where_every_version_draws_them() {
        for version in 2..=40 {
            let code =
                qrcode::QrCode::with_version(b"QG1", qrcode::Version::Normal(version as i16), qrcode::EcLevel::L)
                    .unwrap();
            let n = code.width();
            let colors = code.to_colors();
            let dark = |x: usize, y: usize| colors[y * n + x] == qrcode::Color::Dark;
            let rows = alignment_rows(version);
            for &y in &rows {
                for &x in &rows {
                    // The three by the finders are the finders' own corners.
                    let by_finder = |c: usize| c < 10;
                    if [(x, y), (n - 1 - x, y), (x, n - 1 - y)].iter().any(|&(a, b)| by_finder(a) && by_finder(b)) {
                        continue;
                    }
                    let ring_light = (0..9).filter(|&k| k != 4).all(|k| !dark(x + k % 3 - 1, y + k / 3 - 1));
                    assert!(dark(x, y) && ring_light, "version {version}: no alignment pattern at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn version_information_is_the_tables() {
        // ISO/IEC 18004 Annex D's first and last entries.
        assert_eq!(version_codeword(7), 0x07C94);
        assert_eq!(version_codeword(40), 0x28C69);
    }

    #[test]
    fn a_dense_symbol_states_its_version_to_a_fit_four_modules_off() {
        let text = BADGE.repeat(12);
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
        let version = (code.width() - 17) / 4;
        assert!(version >= 20, "version {version}");
        let (img, triple) = projected(&text, turned(code.width() as f64 * 3.0, 0.3, 520), 520, 30, 220);
        for side in [side_of(version - 1), side_of(version), side_of(version + 1)] {
            let fit = fit_finders(&triple, side).unwrap();
            assert_eq!(read_version(&img, &fit, true), Some(version), "through a fit of side {side}");
        }
    }

    #[test]
    fn noise_shaped_like_a_symbol_is_not_sent_to_the_decoder() {
        let n = 25;
        let bits: Vec<bool> = (0..n * n).map(|i| (i * 7919) % 13 < 6).collect();
        assert!(!plausible(&bits, n));
    }
}
