//! A fast finder-pattern locator that tells the decoder where codes probably are.
//!
//! rqrr searches the whole frame and slows down with every finder-like blob in a cluttered
//! gate scene; scanning rows for the 1:1:3:1:1 finder signature is one cheap pass, and lets
//! rqrr work on small crops around likely codes, where a local threshold fits the code's own
//! lighting.

use image::GrayImage;

use crate::preprocess::ThresholdMap;

/// A finder pattern candidate in the coordinates of the scanned image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finder {
    pub x: f32,
    pub y: f32,
    /// Estimated module size in pixels.
    pub module: f32,
    /// Light-on-dark (inverted) pattern.
    pub inverted: bool,
    /// Rows that confirmed this candidate.
    pub hits: u32,
    /// How much lighter the pattern's light ring is than its dark parts, in luma levels: sensor
    /// noise makes finder-shaped blobs too, but faint ones. Zero when only bits were scanned.
    pub contrast: f32,
}

/// A rectangle in the scanned image that probably holds one code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub module: f32,
    pub inverted: bool,
}

fn ratio_ok(runs: &[u32; 5], min_total: u32) -> Option<f32> {
    let total: u32 = runs.iter().sum();
    if total < min_total {
        return None;
    }
    let m = total as f32 / 7.0;
    let tol = m * 0.7;
    let ok = (runs[0] as f32 - m).abs() < tol
        && (runs[1] as f32 - m).abs() < tol
        && (runs[2] as f32 - 3.0 * m).abs() < 3.0 * tol
        && (runs[3] as f32 - m).abs() < tol
        && (runs[4] as f32 - m).abs() < tol;
    ok.then_some(m)
}

/// A black-and-white view of an image: read a row at a time by the scan, a pixel at a time by
/// the vertical check, so a thresholded frame never has to be binarised as a whole.
pub trait Bilevel {
    fn width(&self) -> usize;
    fn height(&self) -> usize;
    /// Whether (x, y) is dark; both are in range.
    fn dark(&self, x: usize, y: usize) -> bool;
    /// Row `y` into `out`, 1 = dark, 0 = light.
    fn row(&self, y: usize, out: &mut Vec<u8>);
    /// The luma behind the bits, when there is one.
    fn luma(&self) -> Option<&GrayImage> {
        None
    }
}

/// An image already binarised (`true` = dark), row-major.
pub struct Bits<'a> {
    pub dark: &'a [bool],
    pub width: usize,
    pub height: usize,
}

impl Bilevel for Bits<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }
    fn row(&self, y: usize, out: &mut Vec<u8>) {
        out.clear();
        out.extend(self.dark[y * self.width..(y + 1) * self.width].iter().map(|&d| u8::from(d)));
    }
}

/// Luma under a block threshold map, binarised on demand.
pub struct Thresholded<'a> {
    pub luma: &'a GrayImage,
    pub map: &'a ThresholdMap,
}

impl Bilevel for Thresholded<'_> {
    fn width(&self) -> usize {
        self.luma.width() as usize
    }
    fn height(&self) -> usize {
        self.luma.height() as usize
    }
    fn dark(&self, x: usize, y: usize) -> bool {
        self.luma.as_raw()[y * self.luma.width() as usize + x] < self.map.level(x, y)
    }
    fn row(&self, y: usize, out: &mut Vec<u8>) {
        self.map.binarise_row(self.luma, y, out);
    }
    fn luma(&self) -> Option<&GrayImage> {
        Some(self.luma)
    }
}

/// The five runs through (x, y) along the column, centred on the middle run; `None` when the
/// column does not show a finder's profile.
fn vertical_check(img: &impl Bilevel, x: usize, y: usize, colour: bool, max_run: u32) -> Option<(f32, f32)> {
    let h = img.height();
    let at = |yy: usize| img.dark(x, yy) == colour;
    if !at(y) {
        return None;
    }
    let mut runs = [0u32; 5];
    let mut yy = y as i64;
    while yy >= 0 && at(yy as usize) && runs[2] <= max_run {
        runs[2] += 1;
        yy -= 1;
    }
    while yy >= 0 && !at(yy as usize) && runs[1] <= max_run {
        runs[1] += 1;
        yy -= 1;
    }
    while yy >= 0 && at(yy as usize) && runs[0] <= max_run {
        runs[0] += 1;
        yy -= 1;
    }
    let mut yy = y + 1;
    while yy < h && at(yy) && runs[2] <= max_run * 3 {
        runs[2] += 1;
        yy += 1;
    }
    while yy < h && !at(yy) && runs[3] <= max_run {
        runs[3] += 1;
        yy += 1;
    }
    while yy < h && at(yy) && runs[4] <= max_run {
        runs[4] += 1;
        yy += 1;
    }
    let m = ratio_ok(&runs, 7)?;
    let centre = (yy - runs[4] as usize - runs[3] as usize) as f32 - runs[2] as f32 / 2.0;
    Some((centre, m))
}

/// Finder candidates of both polarities, scanning every `row_step`-th row; patterns narrower
/// than `min_width` pixels are ignored (sensor noise makes thousands of tiny ones).
pub fn find_finders(img: &impl Bilevel, row_step: usize, min_width: u32) -> Vec<Finder> {
    find_finders_until(img, row_step, min_width, &|| false).0
}

/// `find_finders`, asking `stop` every few rows; `false` with what was found so far when it
/// said to stop.
pub fn find_finders_until(
    img: &impl Bilevel,
    row_step: usize,
    min_width: u32,
    stop: &dyn Fn() -> bool,
) -> (Vec<Finder>, bool) {
    let (w, h) = (img.width(), img.height());
    let mut found: Vec<Finder> = Vec::new();
    if w == 0 || h == 0 {
        return (found, true);
    }
    let mut complete = true;
    // Candidates bucketed by 16-pixel cell, so merging a row's hit looks at neighbours only
    // (noisy frames produce thousands of one-row candidates).
    let cols = w / 16 + 1;
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); cols * (h / 16 + 1)];
    let mut runs: Vec<(bool, u32)> = Vec::with_capacity(w / 2);
    let mut row = Vec::with_capacity(w);
    for (i, y) in (0..h).step_by(row_step.max(1)).enumerate() {
        // A clock read costs far less than 32 rows of a large frame.
        if i % 32 == 31 && stop() {
            complete = false;
            break;
        }
        img.row(y, &mut row);
        row_runs(&row, &mut runs);
        let mut start = 0usize;
        for i in 0..runs.len().saturating_sub(4) {
            let window = [runs[i].1, runs[i + 1].1, runs[i + 2].1, runs[i + 3].1, runs[i + 4].1];
            let begin = start;
            start += runs[i].1 as usize;
            let Some(m) = ratio_ok(&window, min_width) else { continue };
            let colour = runs[i].0;
            let cx = begin as f32 + (window[0] + window[1]) as f32 + window[2] as f32 / 2.0;
            let Some((cy, mv)) = vertical_check(img, cx as usize, y, colour, (m * 2.5) as u32 + 2) else { continue };
            if mv > m * 2.0 || m > mv * 2.0 {
                continue;
            }
            let module = (m + mv) / 2.0;
            let inverted = !colour;
            let (cellx, celly) = ((cx as usize / 16).min(cols - 1), (cy.max(0.0) as usize / 16).min(h / 16));
            let reach = (module * 2.0 / 16.0).ceil() as usize;
            let mut hit = None;
            'search: for yy in celly.saturating_sub(reach)..=(celly + reach).min(h / 16) {
                for xx in cellx.saturating_sub(reach)..=(cellx + reach).min(cols - 1) {
                    for &i in &cells[yy * cols + xx] {
                        let f = &found[i];
                        if f.inverted == inverted && (f.x - cx).abs() < module * 2.0 && (f.y - cy).abs() < module * 2.0
                        {
                            hit = Some(i);
                            break 'search;
                        }
                    }
                }
            }
            match hit.map(|i| &mut found[i]) {
                Some(f) => {
                    let n = f.hits as f32;
                    f.x = (f.x * n + cx) / (n + 1.0);
                    f.y = (f.y * n + cy) / (n + 1.0);
                    f.module = (f.module * n + module) / (n + 1.0);
                    f.hits += 1;
                }
                None => {
                    cells[celly * cols + cellx].push(found.len());
                    found.push(Finder { x: cx, y: cy, module, inverted, hits: 1, contrast: 0.0 });
                }
            }
        }
    }
    let mut found = merge_neighbours(found);
    if let Some(luma) = img.luma() {
        for f in &mut found {
            f.contrast = contrast(luma, f);
        }
    }
    (found, complete)
}

/// Light ring minus dark core and outer ring, sampled along the row and the column through the
/// centre at the measured module pitch (which is the chord's pitch, so it holds for a turned
/// finder too); negative for a pattern of the other polarity or none.
fn contrast(luma: &GrayImage, f: &Finder) -> f32 {
    let (w, h) = (luma.width() as f32, luma.height() as f32);
    let raw = luma.as_raw();
    let at = |dx: f32, dy: f32| {
        let (x, y) = (f.x + dx * f.module, f.y + dy * f.module);
        (x >= 0.0 && y >= 0.0 && x < w && y < h).then(|| raw[y as usize * w as usize + x as usize] as f32)
    };
    let (mut dark, mut dark_n, mut light, mut light_n) = (0.0, 0, 0.0, 0);
    for k in [0.0f32, 1.0, 2.0, 3.0] {
        for (dx, dy) in [(k, 0.0), (-k, 0.0), (0.0, k), (0.0, -k)] {
            if let Some(l) = at(dx, dy) {
                if k == 2.0 {
                    light += l;
                    light_n += 1;
                } else {
                    dark += l;
                    dark_n += 1;
                }
            }
            if k == 0.0 {
                break;
            }
        }
    }
    if light_n == 0 || dark_n == 0 {
        return 0.0;
    }
    let c = light / light_n as f32 - dark / dark_n as f32;
    if f.inverted {
        -c
    } else {
        c
    }
}

/// Run lengths of one binarised row (1 = dark), as (dark, length). Runs are mostly several
/// pixels long, so the search for the next change looks at eight pixels at a time.
fn row_runs(row: &[u8], runs: &mut Vec<(bool, u32)>) {
    runs.clear();
    let w = row.len();
    if w == 0 {
        return;
    }
    let mut start = 0usize;
    let mut i = 1usize;
    while i < w {
        if i + 8 <= w {
            let here = u64::from_le_bytes(row[i..i + 8].try_into().expect("eight bytes"));
            let before = u64::from_le_bytes(row[i - 1..i + 7].try_into().expect("eight bytes"));
            let changed = here ^ before;
            if changed == 0 {
                i += 8;
                continue;
            }
            i += (changed.trailing_zeros() / 8) as usize;
        } else if row[i] == row[i - 1] {
            i += 1;
            continue;
        }
        runs.push((row[start] != 0, (i - start) as u32));
        start = i;
        i += 1;
    }
    runs.push((row[start] != 0, (w - start) as u32));
}

/// Drops what the triples would ignore anyway (one row of evidence for a finder large enough
/// to cross several rows: sensor noise leaves thousands of those) and joins candidates of one
/// polarity closer than a module and a half: the row scan starts a second candidate when a
/// row's estimate strays, and a duplicate finder makes duplicate triples.
fn merge_neighbours(mut found: Vec<Finder>) -> Vec<Finder> {
    found.retain(|f| f.hits >= 2 || f.module < 2.0);
    found.sort_by_key(|f| std::cmp::Reverse(f.hits));
    // Kept candidates bucketed by cells as wide as the widest reach, so a merge looks at the
    // nine cells around a candidate: a frame tiled with finder-like texture keeps tens of
    // thousands, and a search through all of them for each would cost seconds.
    let cell = (found.iter().map(|f| f.module).fold(0.0, f32::max) * 1.5).max(1.0);
    let key = |f: &Finder| ((f.x / cell).floor() as i64, (f.y / cell).floor() as i64);
    let mut cells: std::collections::HashMap<(i64, i64), Vec<usize>> = std::collections::HashMap::new();
    let mut out: Vec<Finder> = Vec::with_capacity(found.len());
    for f in found {
        let (cx, cy) = key(&f);
        let near = (cx - 1..=cx + 1)
            .flat_map(|x| (cy - 1..=cy + 1).map(move |y| (x, y)))
            .filter_map(|c| cells.get(&c))
            .flatten()
            .copied()
            .find(|&i| {
                let o = &out[i];
                let reach = o.module.max(f.module) * 1.5;
                o.inverted == f.inverted && (o.x - f.x).abs() < reach && (o.y - f.y).abs() < reach
            });
        match near {
            Some(i) => {
                let o = &mut out[i];
                let (a, b) = (o.hits as f32, f.hits as f32);
                o.x = (o.x * a + f.x * b) / (a + b);
                o.y = (o.y * a + f.y * b) / (a + b);
                o.module = (o.module * a + f.module * b) / (a + b);
                o.hits += f.hits;
            }
            None => {
                cells.entry((cx, cy)).or_default().push(out.len());
                out.push(f);
            }
        }
    }
    out.sort_by(|a, b| a.x.total_cmp(&b.x));
    out
}

/// Three finders that may be the corners of one code, in the code's own order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triple {
    pub top_left: Finder,
    pub top_right: Finder,
    pub bottom_left: Finder,
    /// The rectangle around the code, with a margin.
    pub region: Region,
    pub score: f32,
}

impl Triple {
    pub fn inverted(&self) -> bool {
        self.top_left.inverted
    }

    /// The same triple in coordinates scaled by `f` (a scan at a lower resolution).
    pub fn scaled(self, f: f32) -> Triple {
        let s = |p: Finder| Finder { x: p.x * f, y: p.y * f, module: p.module * f, ..p };
        let r = self.region;
        Triple {
            top_left: s(self.top_left),
            top_right: s(self.top_right),
            bottom_left: s(self.bottom_left),
            region: Region { x0: r.x0 * f, y0: r.y0 * f, x1: r.x1 * f, y1: r.y1 * f, module: r.module * f, ..r },
            ..self
        }
    }
}

/// Finders looked at for triples, clearest first: a sheet of sixty codes has 180.
const MAX_FINDERS: usize = 400;

/// Every three of the clearest this many finders are tried; beyond, only a finder's nearest
/// neighbours.
const ALL_TRIPLES_UP_TO: usize = 24;

/// A finder's neighbours tried with it: its code's other two finders are among the nearest
/// even on a sheet of codes, where the next code's finders lie a quiet zone away.
const NEIGHBOURS: usize = 12;

/// A finder's nearest neighbours that look like it, tried with it too: in a dense code the data
/// modules make finder-shaped blobs by the dozen, all nearer than the code's own finders, but
/// faint or confirmed by few rows where the code's finders, printed alike, match each other.
const ALIKE_NEIGHBOURS: usize = 8;

/// Whether `g` is as clear a finder as `f` within the spread of one code's three: rows of
/// evidence per pixel of module and contrast each at least this share of `f`'s.
fn alike(f: &Finder, g: &Finder) -> bool {
    const SHARE: f32 = 0.6;
    g.hits as f32 / g.module >= SHARE * f.hits as f32 / f.module && g.contrast >= SHARE * f.contrast
}

/// Indices of the triples worth scoring: every three of the clearest finders, and for the rest
/// (a sheet of codes, a cluttered scene) each finder with pairs of its nearest neighbours of its
/// polarity and size at a code's distance, so the work grows with the finders rather than
/// their cube.
fn candidate_triples(finders: &[Finder]) -> Vec<[usize; 3]> {
    let n = finders.len();
    let mut out = Vec::new();
    let all = n.min(ALL_TRIPLES_UP_TO);
    for i in 0..all {
        for j in i + 1..all {
            for k in j + 1..all {
                out.push([i, j, k]);
            }
        }
    }
    if n <= ALL_TRIPLES_UP_TO {
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    let mut near: Vec<(f32, usize)> = Vec::new();
    let mut like: Vec<usize> = Vec::new();
    for (i, f) in finders.iter().enumerate() {
        near.clear();
        for (j, g) in finders.iter().enumerate() {
            if j == i || g.inverted != f.inverted || g.module > f.module * 1.8 || f.module > g.module * 1.8 {
                continue;
            }
            let d = ((f.x - g.x).powi(2) + (f.y - g.y).powi(2)).sqrt();
            let m = (f.module + g.module) / 2.0;
            if (10.0 * m..=180.0 * 1.9 * m).contains(&d) {
                near.push((d, j));
            }
        }
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        like.clear();
        like.extend(near.iter().map(|&(_, j)| j).filter(|&j| alike(f, &finders[j])).take(ALIKE_NEIGHBOURS));
        near.truncate(NEIGHBOURS);
        let nearest: Vec<usize> = near.iter().map(|&(_, j)| j).collect();
        for pool in [&nearest, &like] {
            for (a, &j) in pool.iter().enumerate() {
                for &k in &pool[a + 1..] {
                    let mut t = [i, j, k];
                    t.sort_unstable();
                    if t[2] >= all && seen.insert(t) {
                        out.push(t);
                    }
                }
            }
        }
    }
    out
}

/// Every plausible triple of finders, best first, at most `limit` of them.
pub fn triples(finders: &[Finder], w: usize, h: usize, limit: usize) -> Vec<Triple> {
    let mut strong: Vec<Finder> = finders.iter().copied().filter(|f| f.hits >= 2 || f.module < 2.0).collect();
    // The clearest candidates first: in a noisy frame, blobs of noise confirmed by a row or
    // two outnumber the real finders, but they are faint.
    strong.sort_by(|a, b| {
        (b.contrast * (b.hits.min(6) as f32).sqrt())
            .total_cmp(&(a.contrast * (a.hits.min(6) as f32).sqrt()))
            .then(b.hits.cmp(&a.hits))
    });
    strong.truncate(MAX_FINDERS);
    let mut scored: Vec<Triple> = Vec::new();
    for [i, j, k] in candidate_triples(&strong) {
        let t = [strong[i], strong[j], strong[k]];
        if t.iter().any(|f| f.inverted != t[0].inverted) {
            continue;
        }
        let (mmin, mmax) = t.iter().fold((f32::MAX, 0f32), |(a, b), f| (a.min(f.module), b.max(f.module)));
        if mmax > mmin * 1.8 {
            continue;
        }
        let d = |a: &Finder, b: &Finder| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        let sides = [d(&t[0], &t[1]), d(&t[1], &t[2]), d(&t[0], &t[2])];
        let mut sorted = sides;
        sorted.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        // Two legs of similar length and a hypotenuse about √2 longer, allowing for
        // strong perspective.
        let (a, b, c) = (sorted[0], sorted[1], sorted[2]);
        if b > a * 1.8 || c < b * 1.1 || c > b * 1.9 {
            continue;
        }
        let module = (mmin + mmax) / 2.0;
        let span = a / module;
        if !(10.0..=180.0).contains(&span) {
            continue;
        }
        scored.push(arranged(t, module, w, h));
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));
    scored.truncate(limit);
    scored
}

/// Every arrangement of three of `finders` (at most a dozen: rqrr's capstones of one tile)
/// whose sides make a right angle's legs and hypotenuse, however different their sizes: strong
/// perspective makes one finder twice another, which `triples` takes for texture.
pub fn triples_of_few(finders: &[Finder], w: usize, h: usize, limit: usize) -> Vec<Triple> {
    let mut scored = Vec::new();
    let n = finders.len().min(12);
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let t = [finders[i], finders[j], finders[k]];
                let d = |a: &Finder, b: &Finder| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
                let mut sides = [d(&t[0], &t[1]), d(&t[1], &t[2]), d(&t[0], &t[2])];
                sides.sort_by(|a, b| a.total_cmp(b));
                let (a, b, c) = (sides[0], sides[1], sides[2]);
                if b > a * 2.5 || c < b * 1.05 || c > b * 2.2 {
                    continue;
                }
                let module = t.iter().map(|f| f.module).sum::<f32>() / 3.0;
                scored.push(arranged(t, module, w, h));
            }
        }
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score));
    scored.truncate(limit);
    scored
}

/// Three finders as a code's corners: the corner finder is the one opposite the longest side,
/// and the region around the parallelogram they span, with a margin.
fn arranged(t: [Finder; 3], module: f32, w: usize, h: usize) -> Triple {
    let d = |a: &Finder, b: &Finder| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    let sides = [d(&t[0], &t[1]), d(&t[1], &t[2]), d(&t[0], &t[2])];
    let mut sorted = sides;
    sorted.sort_by(|a, b| a.total_cmp(b));
    let (a, b, c) = (sorted[0], sorted[1], sorted[2]);
    {
        // The corner finder is the one opposite the longest side; the fourth corner of
        // the code is where the parallelogram closes.
        let corner = if sides[2] == c {
            1
        } else if sides[0] == c {
            2
        } else {
            0
        };
        let (p, q) = match corner {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        // With y pointing down, top-right × bottom-left (from the corner) is positive.
        let cross = (t[p].x - t[corner].x) * (t[q].y - t[corner].y) - (t[p].y - t[corner].y) * (t[q].x - t[corner].x);
        let (p, q) = if cross > 0.0 { (p, q) } else { (q, p) };
        let fourth = (t[p].x + t[q].x - t[corner].x, t[p].y + t[q].y - t[corner].y);
        let xs = [t[0].x, t[1].x, t[2].x, fourth.0];
        let ys = [t[0].y, t[1].y, t[2].y, fourth.1];
        let margin = module * 6.0 + c * 0.12;
        let region = Region {
            x0: (xs.iter().copied().fold(f32::MAX, f32::min) - margin).max(0.0),
            y0: (ys.iter().copied().fold(f32::MAX, f32::min) - margin).max(0.0),
            x1: (xs.iter().copied().fold(f32::MIN, f32::max) + margin).min(w as f32),
            y1: (ys.iter().copied().fold(f32::MIN, f32::max) + margin).min(h as f32),
            module,
            inverted: t[0].inverted,
        };
        let hits: u32 = t.iter().map(|f| f.hits.min(12)).sum();
        let squareness = a / b;
        Triple { top_left: t[corner], top_right: t[p], bottom_left: t[q], region, score: hits as f32 * squareness }
    }
}

/// Regions around the plausible triples, merged where they overlap, best first. `limit`
/// bounds the work on scenes full of finder-like texture.
pub fn regions(finders: &[Finder], w: usize, h: usize, limit: usize) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::new();
    for r in triples(finders, w, h, usize::MAX).into_iter().map(|t| t.region) {
        if !out.iter().any(|o| o.overlaps(&r)) {
            out.push(r);
            if out.len() >= limit {
                break;
            }
        }
    }
    out
}

impl Region {
    /// More than half of `other` lies inside this region.
    pub fn overlaps(&self, other: &Region) -> bool {
        let ix = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let iy = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        ix * iy > (other.x1 - other.x0) * (other.y1 - other.y0) * 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws a 7×7-module finder pattern at (x, y) with `m` pixels per module.
    fn draw_finder(dark: &mut [bool], w: usize, x: usize, y: usize, m: usize) {
        for my in 0..7 {
            for mx in 0..7 {
                let ring = mx == 0 || my == 0 || mx == 6 || my == 6;
                let core = (2..=4).contains(&mx) && (2..=4).contains(&my);
                for py in 0..m {
                    for px in 0..m {
                        dark[(y + my * m + py) * w + x + mx * m + px] = ring || core;
                    }
                }
            }
        }
    }

    #[test]
    fn three_finders_make_one_region_around_the_code() {
        let (w, h, m) = (300, 300, 4);
        let mut dark = vec![false; w * h];
        for (x, y) in [(40, 40), (40 + 18 * m, 40), (40, 40 + 18 * m)] {
            draw_finder(&mut dark, w, x, y, m);
        }
        let finders = find_finders(&Bits { dark: &dark, width: w, height: h }, 1, 7);
        assert_eq!(finders.len(), 3, "{finders:?}");
        assert!(finders.iter().all(|f| (f.module - 4.0).abs() < 0.6 && !f.inverted));
        let found = regions(&finders, w, h, 4);
        assert_eq!(found.len(), 1);
        let r = found[0];
        assert!(r.x0 <= 40.0 && r.y0 <= 40.0 && r.x1 >= 40.0 + 25.0 * 4.0 && r.y1 >= 40.0 + 25.0 * 4.0, "{r:?}");
    }

    #[test]
    fn a_triple_names_its_corners_in_reading_order_however_the_code_is_turned() {
        let f = |x: f32, y: f32| Finder { x, y, module: 4.0, inverted: false, hits: 6, contrast: 90.0 };
        // A code turned a quarter clockwise: its top-left finder is at the image's top right.
        let finders = [f(300.0, 100.0), f(300.0, 250.0), f(150.0, 100.0)];
        let found = triples(&finders, 400, 400, 4);
        assert_eq!(found.len(), 1);
        let t = found[0];
        assert_eq!((t.top_left.x, t.top_left.y), (300.0, 100.0));
        assert_eq!((t.top_right.x, t.top_right.y), (300.0, 250.0));
        assert_eq!((t.bottom_left.x, t.bottom_left.y), (150.0, 100.0));
    }

    #[test]
    fn a_dense_codes_finders_pair_up_through_the_blobs_its_data_makes() {
        // Twelve codes of 100 modules at 4 pixels a module: more clear finders than are tried
        // three by three, and inside each code a score of finder-shaped blobs of data, each
        // confirmed by a row or two, nearer to the code's finders than they are to each other.
        let finder = |x: f32, y: f32, hits: u32| Finder { x, y, module: 4.0, inverted: false, hits, contrast: 150.0 };
        let mut finders = Vec::new();
        let mut codes = Vec::new();
        for c in 0..12 {
            let (x0, y0) = ((c % 4) as f32 * 480.0 + 30.0, (c / 4) as f32 * 480.0 + 30.0);
            let span = 93.0 * 4.0;
            let corners = [(x0, y0), (x0 + span, y0), (x0, y0 + span)];
            finders.extend(corners.map(|(x, y)| finder(x, y, 12)));
            codes.push(corners);
            for k in 0..20 {
                let (u, v) = ((k * 37 % 90 + 5) as f32, (k * 53 % 90 + 5) as f32);
                finders.push(finder(x0 + u * 4.0, y0 + v * 4.0, 2 + k % 2));
            }
        }
        let found = triples(&finders, 2000, 1500, 1024);
        for corners in codes {
            let framed = found
                .iter()
                .any(|t| [t.top_left, t.top_right, t.bottom_left].iter().zip(corners).all(|(f, c)| (f.x, f.y) == c));
            assert!(framed, "no triple on the code at {:?}", corners[0]);
        }
    }

    #[test]
    fn row_runs_match_a_plain_count() {
        let row: Vec<u8> = (0..203).map(|i: u32| u8::from((i * i / 7 + i / 13) % 3 == 0)).collect();
        let mut runs = Vec::new();
        row_runs(&row, &mut runs);
        let mut plain: Vec<(bool, u32)> = Vec::new();
        for &p in &row {
            match plain.last_mut() {
                Some((dark, len)) if *dark == (p != 0) => *len += 1,
                _ => plain.push((p != 0, 1)),
            }
        }
        assert_eq!(runs, plain);
    }

    #[test]
    fn inverted_finders_are_found_as_inverted() {
        let (w, h, m) = (120, 120, 3);
        let mut dark = vec![false; w * h];
        draw_finder(&mut dark, w, 30, 30, m);
        let flipped: Vec<bool> = dark.iter().map(|d| !d).collect();
        let finders = find_finders(&Bits { dark: &flipped, width: w, height: h }, 1, 7);
        assert!(finders.iter().any(|f| f.inverted && (f.x - 40.5).abs() < 2.0), "{finders:?}");
    }
}
