//! One rqrr detection over a binarised image, bounded before it starts.
//!
//! rqrr's detector cannot be interrupted, and its cost is not linear: every pair of finder
//! candidates ("capstones") it tries as a code costs a copy of the whole image and a fit of the
//! grid, and a capstone can pair with most of the others, so a frame full of codes (a sheet of
//! sixty badges) costs minutes. So the capstones rqrr would see are counted first, by the same
//! row test rqrr uses; an image with fewer than three cannot hold a code and is not handed over
//! at all, an image with too many is cut into overlapping tiles until each holds few enough,
//! and a tile whose estimated cost no longer fits what is left of the frame's budget is not
//! started.

use std::time::Duration;

use crate::code::{bytes_to_text, Code};
use crate::guard::guarded;
use crate::payload;
use rqrr::BitGrid;

/// What stops the work on a frame: asked before anything that takes time starts.
pub trait Budget {
    /// Time left for this frame; zero once it is spent.
    fn remaining(&self) -> Duration;
}

/// Capstones one rqrr call may see: its grouping tries up to n·((n−1)/2)² pairs, each a copy
/// of the image and a grid fit, so a dozen is already a few hundred tries.
const MAX_CAPSTONES: usize = 12;

/// Tiles are not cut smaller than this (pixels a side): a code needs room around it, and a
/// region this small with more capstones than the limit is texture, not codes.
const MIN_TILE: usize = 96;

/// Per pixel, the bitmap copy, region labelling and capstone scan of one rqrr call.
const NANOS_PER_PIXEL: u64 = 20;

/// Per pair of capstones rqrr tries as a code, a copy of the image (per pixel) and a grid fit:
/// the fit samples the grid's fixed patterns nine times a module, 81 times over as it jiggles
/// the perspective, and a pair that fits is fitted twice.
const PAIR_NANOS_PER_PIXEL: f64 = 0.3;
const PAIR_FITS: u64 = 2 * 81 * 9;
const NANOS_PER_SAMPLE: u64 = 4;

/// Error correction of one located grid, per module: every third capstone can make a grid.
const DECODE_NANOS_PER_MODULE: u64 = 500;

/// The largest grid rqrr fits: version 40.
const MAX_GRID: usize = 177;
/// What rqrr found in one image, in its coordinates.
#[derive(Debug, Clone, Default)]
pub struct PassOutcome {
    pub codes: Vec<Code>,
    /// Grids located but not decoded.
    pub failed_grids: u32,
    pub panics: u32,
    /// rqrr calls made (one per tile handed over).
    pub calls: u32,
    /// Pixels of the largest tile handed over.
    pub largest_call: usize,
    /// Tiles left untried: too many capstones in too small a tile, or not enough time left.
    pub cut_short: bool,
    /// The capstones of each tile whose call was estimated to cost more than the time left, in
    /// the bitmap's coordinates: the caller's own grid reader, which the budget can stop, may
    /// still read them.
    pub refused: Vec<Vec<Ring>>,
}

/// Where a capstone rqrr may find lies: its ring's bounding box, in tile pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ring {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Ring {
    /// The farthest two points of the two rings can be apart, in pixels.
    fn reach(&self, other: &Ring) -> f64 {
        let dx = self.x1.max(other.x1) - self.x0.min(other.x0);
        let dy = self.y1.max(other.y1) - self.y0.min(other.y0);
        (dx as f64).hypot(dy as f64)
    }
}

/// The grid fit of one pair, `grid` modules wide.
fn pair_cost(grid: usize) -> u64 {
    let grid = grid.min(MAX_GRID) as u64;
    // Timing patterns, the three finders, and the alignment patterns (one every 28 modules or so).
    let cells = 2 * grid + 150 + 25 * (grid / 28 + 1).pow(2);
    PAIR_FITS * cells * NANOS_PER_SAMPLE
}

/// The widest grid rqrr can fit between two rings: its timing scan counts the colour changes
/// along a line between them, so no more than the pixels between them, and never past version
/// 40.
fn grid_between(a: &Ring, b: &Ring) -> usize {
    ((a.reach(b) as usize) + 13 + 4).min(MAX_GRID)
}

/// The most rqrr's detection can cost on a `width`×`height` tile holding these capstones, before
/// it starts, whatever the pixels between them: each capstone is tried as a code's corner with
/// pairs of the others, at most ((n−1)/2)² pairs (those roughly along its rows times those along
/// its columns), and each pair costs a copy of the tile and a grid fit as wide as the capstones
/// are apart (a module a pixel).
pub fn estimated_cost(width: usize, height: usize, rings: &[Ring]) -> Duration {
    cost_of_grids(width, height, rings, &|i, j| grid_between(&rings[i], &rings[j]))
}

/// `estimated_cost` with the grid between rings `i` and `j` as `grid(i, j)` modules wide.
fn cost_of_grids(width: usize, height: usize, rings: &[Ring], grid: &dyn Fn(usize, usize) -> usize) -> Duration {
    let pixels = width * height;
    let n = rings.len();
    let pairs_per_corner = n.saturating_sub(1).div_ceil(2).pow(2);
    let copy = (pixels as f64 * PAIR_NANOS_PER_PIXEL) as u64;
    let mut total = pixels as u64 * NANOS_PER_PIXEL;
    let mut costs: Vec<u64> = Vec::new();
    let mut widest = 0;
    for corner in 0..n {
        costs.clear();
        for j in 0..n {
            for k in j + 1..n {
                if j != corner && k != corner {
                    let g = grid(corner, j).max(grid(corner, k));
                    widest = widest.max(g);
                    costs.push(pair_cost(g) + copy);
                }
            }
        }
        costs.sort_unstable_by(|a, b| b.cmp(a));
        total += costs.iter().take(pairs_per_corner).sum::<u64>();
    }
    let grid = widest.min(MAX_GRID) as u64;
    total += (n / 3) as u64 * grid * grid * DECODE_NANOS_PER_MODULE;
    Duration::from_nanos(total)
}

/// The cost of rqrr's detection on this tile as its bits have it: the grid between two capstones
/// is as wide as rqrr's timing scan will count, and that scan runs on these very bits, along a
/// line from one capstone's inner corner to the other's, three modules off their centres' line.
/// The changes are counted here along that line's neighbours (on either side, the centres' line
/// too) and the most of them, with a quarter more for the line rqrr actually draws, stands for
/// its count; never more than the worst case of `estimated_cost`.
fn cost_from_bits(dark: &[bool], width: usize, tile: &Tile, rings: &[Ring]) -> Duration {
    let n = rings.len();
    let mut grids = vec![0usize; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let counted = timing_changes(dark, width, tile, &rings[i], &rings[j]);
            let g = (counted + counted / 4 + 13 + 4).min(grid_between(&rings[i], &rings[j]));
            grids[i * n + j] = g;
            grids[j * n + i] = g;
        }
    }
    cost_of_grids(tile.w, tile.h, rings, &|i, j| grids[i * n + j])
}

/// The most colour changes along lines between two rings' centres, shifted sideways by up to
/// three and a half modules either way (the module from the smaller ring, 7 modules wide).
fn timing_changes(dark: &[bool], width: usize, tile: &Tile, a: &Ring, b: &Ring) -> usize {
    let centre = |r: &Ring| ((r.x0 + r.x1) as f64 / 2.0, (r.y0 + r.y1) as f64 / 2.0);
    let side = |r: &Ring| (r.x1 - r.x0).min(r.y1 - r.y0) as f64;
    let (pa, pb) = (centre(a), centre(b));
    let module = (side(a).min(side(b)) / 7.0).max(1.0);
    let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
    let length = dx.hypot(dy);
    if length < 1.0 {
        return 0;
    }
    let (nx, ny) = (-dy / length, dx / length);
    let at = |x: f64, y: f64| -> Option<bool> {
        let (x, y) = (x.round(), y.round());
        if x < 0.0 || y < 0.0 || x >= tile.w as f64 || y >= tile.h as f64 {
            return None;
        }
        Some(dark[(tile.y0 + y as usize) * width + tile.x0 + x as usize])
    };
    let steps = length.ceil() as usize;
    [-3.5, -3.0, -2.5, 0.0, 2.5, 3.0, 3.5]
        .iter()
        .map(|&shift| {
            let (ox, oy) = (nx * shift * module, ny * shift * module);
            let mut previous = None;
            let mut changes = 0;
            for s in 0..=steps {
                let t = s as f64 / steps as f64;
                let here = at(pa.0 + ox + dx * t, pa.1 + oy + dy * t);
                if here.is_some() && previous.is_some() && here != previous {
                    changes += 1;
                }
                previous = here.or(previous);
            }
            changes
        })
        .max()
        .unwrap_or(0)
}

/// rqrr on `dark` (row-major, `true` = dark, `width` wide), tile by tile as the capstone count
/// requires, within `budget`. Codes come back in the bitmap's coordinates.
pub fn detect(dark: &[bool], width: usize, budget: &dyn Budget) -> PassOutcome {
    let mut outcome = PassOutcome::default();
    if width == 0 {
        return outcome;
    }
    let height = dark.len() / width;
    let whole = Tile { x0: 0, y0: 0, w: width, h: height };
    let mut pending = vec![whole];
    while let Some(tile) = pending.pop() {
        if budget.remaining().is_zero() {
            outcome.cut_short = true;
            break;
        }
        let rings = capstones(dark, width, &tile);
        let capstones = rings.len();
        if capstones < 3 {
            continue;
        }
        if capstones > MAX_CAPSTONES {
            if tile.w.min(tile.h) < 2 * MIN_TILE {
                outcome.cut_short = true;
                continue;
            }
            // Nine tiles of half the side at quarter steps: a code smaller than a quarter of
            // the tile lies whole in one of them. Pushed in reverse so the top left is first.
            let (tw, th) = (tile.w / 2, tile.h / 2);
            for j in (0..3).rev() {
                for i in (0..3).rev() {
                    let x0 = tile.x0 + (tile.w - tw) * i / 2;
                    let y0 = tile.y0 + (tile.h - th) * j / 2;
                    pending.push(Tile { x0, y0, w: tw, h: th });
                }
            }
            continue;
        }
        if cost_from_bits(dark, width, &tile, &rings) > budget.remaining() {
            outcome.cut_short = true;
            let at = |r: Ring| Ring {
                x0: r.x0 + tile.x0 as u32,
                y0: r.y0 + tile.y0 as u32,
                x1: r.x1 + tile.x0 as u32,
                y1: r.y1 + tile.y0 as u32,
            };
            outcome.refused.push(rings.into_iter().map(at).collect());
            continue;
        }
        outcome.calls += 1;
        outcome.largest_call = outcome.largest_call.max(tile.w * tile.h);
        let found = run(dark, width, &tile);
        outcome.panics += found.panics;
        outcome.failed_grids += found.failed_grids;
        for code in found.codes {
            if !outcome.codes.iter().any(|c| c.same_as(&code)) {
                outcome.codes.push(code);
            }
        }
    }
    outcome
}

#[derive(Debug, Clone, Copy)]
struct Tile {
    x0: usize,
    y0: usize,
    w: usize,
    h: usize,
}

/// One guarded rqrr call on one tile.
fn run(dark: &[bool], width: usize, tile: &Tile) -> PassOutcome {
    let mut outcome = PassOutcome::default();
    let detected = guarded(|| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_bitmap(tile.w, tile.h, |x, y| dark[(tile.y0 + y) * width + tile.x0 + x]);
        let grids = prepared.detect_grids();
        let mut found = Vec::new();
        let (mut failed, mut panics) = (0u32, 0u32);
        for grid in &grids {
            let mut bytes = Vec::new();
            let b = grid.bounds;
            let corners = [b[0], b[1], b[2], b[3]].map(|p| (p.x as f32 + tile.x0 as f32, p.y as f32 + tile.y0 as f32));
            match guarded(|| grid.decode_to(&mut bytes)) {
                Some(Ok(_)) => found.push(Code::whole(bytes_to_text(&bytes), corners)),
                // Corrected, but a stream rqrr does not parse (a structured-append header): the
                // crate's own payload reader takes the grid's modules.
                Some(Err(rqrr::DeQRError::UnknownDataType)) => {
                    let n = grid.grid.size();
                    let bits: Vec<bool> = (0..n * n).map(|i| grid.grid.bit(i / n, i % n)).collect();
                    match guarded(|| payload::read(&bits, n)) {
                        Some(Some(message)) => found.push(Code::from_message(message, corners)),
                        Some(None) => failed += 1,
                        None => {
                            failed += 1;
                            panics += 1;
                        }
                    }
                }
                Some(Err(_)) => failed += 1,
                None => {
                    failed += 1;
                    panics += 1;
                }
            }
        }
        (found, failed, panics)
    });
    match detected {
        Some((codes, failed, panics)) => {
            outcome.codes = codes;
            outcome.failed_grids = failed;
            outcome.panics = panics;
        }
        None => outcome.panics = 1,
    }
    outcome
}

/// The rings of at least as many capstones as rqrr will find in the tile, by rqrr's own tests: a row shows
/// 1:1:3:1:1 runs, the runs at both ends are one connected region (the ring), the middle run
/// another (the stone), and the stone has 10 to 70 % of the ring's pixels. Regions are labelled
/// once for the whole tile (runs joined with the overlapping runs above, as rqrr's flood fill
/// joins them) instead of flood-filled per candidate, and each stone counts once. rqrr also
/// skips stones it has already claimed, so it may find fewer, never more.
fn capstones(dark: &[bool], width: usize, tile: &Tile) -> Vec<Ring> {
    // Runs of every row: (start, end, dark), and a union-find over them.
    let mut runs: Vec<(u32, u32, bool)> = Vec::new();
    let mut row_start: Vec<usize> = Vec::with_capacity(tile.h + 1);
    let mut parent: Vec<u32> = Vec::new();
    // Candidates as the indices of their five runs' first run.
    let mut hits: Vec<usize> = Vec::new();
    for y in tile.y0..tile.y0 + tile.h {
        let row = &dark[y * width + tile.x0..y * width + tile.x0 + tile.w];
        let first = runs.len();
        row_start.push(first);
        let mut start = 0usize;
        for x in 1..=row.len() {
            if x < row.len() && row[x] == row[start] {
                continue;
            }
            let index = runs.len();
            runs.push((start as u32, x as u32, row[start]));
            parent.push(index as u32);
            // A dark run closing a 1:1:3:1:1 pattern; the row's end counts as a light pixel.
            if row[start] && index >= first + 4 {
                let lengths: [usize; 5] = std::array::from_fn(|i| {
                    let r = runs[index - 4 + i];
                    (r.1 - r.0) as usize
                });
                if capstone_runs(&lengths) {
                    hits.push(index - 4);
                }
            }
            start = x;
        }
        // Join this row's runs with the overlapping runs of its colour in the row above.
        if y > tile.y0 {
            let above = row_start[row_start.len() - 2];
            let (mut i, mut j) = (above, first);
            while i < first && j < runs.len() {
                let (a, b) = (runs[i], runs[j]);
                if a.2 == b.2 {
                    union(&mut parent, i, j);
                }
                if a.1 <= b.1 {
                    i += 1;
                } else {
                    j += 1;
                }
            }
        }
    }
    let mut area = vec![0u32; runs.len()];
    let mut boxes: Vec<Ring> = vec![Ring { x0: u32::MAX, y0: u32::MAX, x1: 0, y1: 0 }; runs.len()];
    let mut row = 0usize;
    for (i, run) in runs.iter().enumerate() {
        while row + 1 < row_start.len() && row_start[row + 1] <= i {
            row += 1;
        }
        let root = find(&mut parent, i);
        area[root] += run.1 - run.0;
        let b = &mut boxes[root];
        b.x0 = b.x0.min(run.0);
        b.x1 = b.x1.max(run.1);
        b.y0 = b.y0.min(row as u32);
        b.y1 = b.y1.max(row as u32 + 1);
    }
    let mut stones: Vec<(usize, usize)> = Vec::new();
    for h in hits {
        let (left, stone, right) = (find(&mut parent, h), find(&mut parent, h + 2), find(&mut parent, h + 4));
        if left != right || stone == right {
            continue;
        }
        let ratio = area[stone] as u64 * 100 / area[right].max(1) as u64;
        if 10 < ratio && ratio < 70 {
            stones.push((stone, right));
        }
    }
    stones.sort_unstable();
    stones.dedup_by_key(|s| s.0);
    stones.into_iter().map(|(_, ring)| boxes[ring]).collect()
}

fn find(parent: &mut [u32], mut i: usize) -> usize {
    while parent[i] as usize != i {
        let up = parent[parent[i] as usize];
        parent[i] = up;
        i = up as usize;
    }
    i
}

fn union(parent: &mut [u32], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        parent[hi] = lo as u32;
    }
}

/// rqrr's test on the last five runs (dark, light, dark, light, dark).
fn capstone_runs(runs: &[usize; 5]) -> bool {
    const CHECK: [usize; 5] = [1, 1, 3, 1, 1];
    let avg = (runs[0] + runs[1] + runs[3] + runs[4]) / 4;
    let err = avg * 3 / 4;
    (0..5).all(|i| runs[i] + err >= CHECK[i] * avg && runs[i] <= CHECK[i] * avg + err)
}

/// rqrr's own binarisation (a running average along each row, in both directions, carried from
/// row to row), reproduced so that its view too is counted before rqrr sees it.
pub fn rqrr_threshold(raw: &[u8], width: usize) -> Vec<bool> {
    let w = width;
    if w == 0 {
        return Vec::new();
    }
    let h = raw.len() / w;
    let s = (w / 8).max(1);
    let mut out = vec![false; w * h];
    let mut row_average = vec![0usize; w];
    let (mut avg_v, mut avg_u) = (0usize, 0usize);
    for y in 0..h {
        row_average.fill(0);
        let row = &raw[y * w..(y + 1) * w];
        for x in 0..w {
            let (v, u) = if y % 2 == 0 { (w - 1 - x, x) } else { (x, w - 1 - x) };
            avg_v = avg_v * (s - 1) / s + row[v] as usize;
            avg_u = avg_u * (s - 1) / s + row[u] as usize;
            row_average[v] += avg_v;
            row_average[u] += avg_u;
        }
        for x in 0..w {
            out[y * w + x] = (row[x] as usize) < row_average[x] * (100 - 5) / (200 * s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plenty;
    impl Budget for Plenty {
        fn remaining(&self) -> Duration {
            Duration::from_secs(3600)
        }
    }

    /// A 7×7-module finder drawn dark at (x, y) with `m` pixels per module.
    fn finder(dark: &mut [bool], w: usize, x: usize, y: usize, m: usize) {
        for v in 0..7 * m {
            for u in 0..7 * m {
                let (mu, mv) = (u / m, v / m);
                let ring = mu == 0 || mv == 0 || mu == 6 || mv == 6;
                let core = (2..=4).contains(&mu) && (2..=4).contains(&mv);
                dark[(y + v) * w + x + u] = ring || core;
            }
        }
    }

    #[test]
    fn each_finder_counts_once_and_a_blank_image_none() {
        let (w, h) = (200, 120);
        let mut dark = vec![false; w * h];
        let whole = Tile { x0: 0, y0: 0, w, h };
        assert_eq!(capstones(&dark, w, &whole).len(), 0);
        finder(&mut dark, w, 10, 10, 4);
        finder(&mut dark, w, 100, 30, 3);
        assert_eq!(capstones(&dark, w, &whole).len(), 2);
    }

    #[test]
    fn the_threshold_is_rqrrs_own() {
        let (w, h) = (97, 61);
        let raw: Vec<u8> = (0..w * h).map(|i| ((i * 7919 + i / w * 31) % 251) as u8).collect();
        let ours = rqrr_threshold(&raw, w);
        let prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]);
        for y in 0..h {
            for x in 0..w {
                // rqrr's colour 1 is black.
                let theirs = prepared.get_pixel_at(x, y) == 1u8;
                assert_eq!(ours[y * w + x], theirs, "({x}, {y})");
            }
        }
    }

    #[test]
    fn a_field_of_finders_is_cut_into_tiles_and_never_handed_over_whole() {
        // Far more capstones than one call may see, tightly packed: no tile gets few enough.
        let (w, h) = (400, 400);
        let mut dark = vec![false; w * h];
        for y in (0..h - 24).step_by(24) {
            for x in (0..w - 24).step_by(24) {
                finder(&mut dark, w, x + 2, y + 2, 3);
            }
        }
        let whole = Tile { x0: 0, y0: 0, w, h };
        assert!(capstones(&dark, w, &whole).len() > MAX_CAPSTONES);
        let outcome = detect(&dark, w, &Plenty);
        assert!(outcome.cut_short);
        assert!(outcome.largest_call <= w * h / 16, "{outcome:?}");
    }

    #[test]
    fn the_bits_between_capstones_bound_the_grid_not_only_their_distance() {
        // Three finders of four-pixel modules 200 pixels apart: a version 8 or so symbol, where
        // the distance alone allows a version 40 at a pixel a module.
        let (w, h) = (260, 260);
        let mut dark = vec![false; w * h];
        for (x, y) in [(10, 10), (210, 10), (10, 210)] {
            finder(&mut dark, w, x, y, 4);
        }
        let whole = Tile { x0: 0, y0: 0, w, h };
        let rings = capstones(&dark, w, &whole);
        assert_eq!(rings.len(), 3);
        let clean = cost_from_bits(&dark, w, &whole, &rings);
        let worst = estimated_cost(w, h, &rings);
        assert!(clean * 3 < worst, "{clean:?} vs {worst:?}");
        // Pixel-fine noise between the same capstones (what a texture or a version 40 at a pixel
        // a module shows rqrr's timing scan) brings the estimate back to the worst case.
        for y in 0..h {
            for x in 0..w {
                let in_finder = [(10, 10), (210, 10), (10, 210)]
                    .iter()
                    .any(|&(fx, fy)| (fx - 4..fx + 32).contains(&x) && (fy - 4..fy + 32).contains(&y));
                if !in_finder && x > 5 && y > 5 {
                    dark[y * w + x] = (x + y) % 2 == 0;
                }
            }
        }
        let noisy = cost_from_bits(&dark, w, &whole, &rings);
        assert!(noisy * 10 >= worst * 9, "{noisy:?} vs {worst:?}");
    }

    #[test]
    fn cost_grows_with_capstones_and_pixels() {
        let ring = |x: u32, y: u32, side: u32| Ring { x0: x, y0: y, x1: x + side, y1: y + side };
        let near = [ring(0, 0, 21), ring(60, 0, 21), ring(0, 60, 21)];
        let far = [ring(0, 0, 21), ring(600, 0, 21), ring(0, 600, 21)];
        let more: Vec<Ring> = (0..12).map(|i| ring(i * 30, (i % 3) * 30, 21)).collect();
        assert!(estimated_cost(100, 100, &near) < estimated_cost(100, 100, &more));
        assert!(estimated_cost(1000, 1000, &near) < estimated_cost(1000, 1000, &far));
        assert!(estimated_cost(100, 100, &near) < estimated_cost(1000, 1000, &near));
    }
}
