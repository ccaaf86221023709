//! The frame decoder: several guarded rqrr attempts over pyramid levels and thresholded views,
//! within a time budget, merged into one list of codes.

use std::time::Duration;

use image::GrayImage;
use serde::Serialize;

use crate::clock::{Clock, MonotonicClock};
use crate::code::{bytes_to_text, Code};
use crate::rqrr_pass::{self, Budget};
use crate::{finder, grid, payload, preprocess};

/// Frames larger than this on their longer side are shrunk first: rqrr's cost grows with the
/// pixel count and the number of finder-like blobs, and no gate code needs more resolution.
const MAX_WORKING_SIDE: u32 = 1600;

/// The finder scan and grid reader work on frames up to this size unshrunk (a 12-megapixel
/// photograph is 4032 pixels wide).
const MAX_FINE_SIDE: u32 = 4096;

/// What the finder scan's image costs per pixel before the scan starts (shrinking it, its
/// half and quarter, their threshold maps): a live budget of 30 ms pays for 3 megapixels.
const FINE_NANOS_PER_PIXEL: u128 = 10;

/// What decoding one frame produced, with the counters a gate shows on its health line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FrameDecode {
    pub codes: Vec<Code>,
    pub attempts: u32,
    /// rqrr panics caught while decoding this frame.
    pub panics: u32,
    /// The budget ran out before every planned attempt ran.
    pub over_budget: bool,
}

impl FrameDecode {
    pub fn texts(&self) -> Vec<String> {
        self.codes.iter().map(|c| c.text.clone()).collect()
    }
}

/// How hard to try on one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    /// No new attempt starts after this much time on the frame; a live camera sends the
    /// next frame soon anyway.
    pub budget: Duration,
    /// Run every planned attempt even after a clean success, to find every code in the frame.
    pub exhaustive: bool,
    /// When the finder scan framed nothing (most often an empty gate), the whole-frame passes
    /// get this share of what is left of the budget: 1 gives them all of it.
    pub evidenceless_share: u32,
}

impl Default for DecodeOptions {
    /// A live camera: the next frame comes soon, and an empty gate should cost little.
    fn default() -> Self {
        DecodeOptions { budget: Duration::from_millis(30), exhaustive: false, evidenceless_share: 20 }
    }
}

/// A frame's budget on its clock: every stage asks it before starting anything that takes
/// time, and the long loops (the finder scan's rows, the triples, rqrr's tiles) ask it as
/// they go.
pub struct Deadline<'a> {
    clock: &'a dyn Clock,
    start: Duration,
    budget: Duration,
}

impl<'a> Deadline<'a> {
    pub fn new(clock: &'a dyn Clock, budget: Duration) -> Deadline<'a> {
        Deadline { clock, start: clock.now(), budget }
    }

    pub fn spent(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The same deadline with only a `parts`-th of the time left.
    fn share(self, parts: u32) -> Deadline<'a> {
        let left = self.remaining();
        Deadline { budget: self.budget - left + left / parts.max(1), ..self }
    }
}

impl Budget for Deadline<'_> {
    fn remaining(&self) -> Duration {
        self.budget.saturating_sub(self.clock.now().saturating_sub(self.start))
    }
}

/// Which binarisation rqrr gets to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// rqrr's own running-average threshold.
    Native,
    /// Luma inverted, then rqrr's threshold: light-on-dark codes.
    NativeInverted,
    /// Local mean threshold, window radius = longer side / `div`.
    Mean { div: u32, offset: u8, inverted: bool },
    /// Otsu's global threshold.
    Otsu { inverted: bool },
    /// 3×3 blur before the local mean threshold: noise, JPEG blocks, moiré.
    BlurMean { div: u32, offset: u8 },
}

/// Which resolution an attempt works at, relative to the working image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Shrunk by this integer factor (1 = working image).
    Down(u32),
    /// Doubled, for small images with tiny modules.
    Up2,
}

/// One rqrr pass: a resolution and a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attempt {
    pub level: Level,
    pub view: View,
}

/// What one attempt found.
#[derive(Debug, Clone, Default)]
pub struct AttemptOutcome {
    pub codes: Vec<Code>,
    /// Grids rqrr located but could not decode.
    pub failed_grids: u32,
    pub panics: u32,
    /// rqrr calls made.
    pub calls: u32,
    /// Views or tiles were left untried: for lack of time, or too many capstones in too small
    /// a tile.
    pub cut_short: bool,
}

/// Decodes with the default options and the real clock.
pub fn decode(frame: &GrayImage) -> Vec<String> {
    decode_frame(frame, &DecodeOptions::default(), &MonotonicClock::new()).texts()
}

/// Decodes one 8-bit luma frame: module grids read through finders found by a row scan
/// first (cheap, and most frames end there), then rqrr on crops around finders whose grid did
/// not read, then whole-frame rqrr passes, until a clean success or the budget runs out.
/// The parts of a message spread over several codes (structured append) come out joined when
/// the frame holds all of them, as one code at the first part's place; otherwise each part
/// stays a code of its own, with its place in the sequence.
pub fn decode_frame(frame: &GrayImage, options: &DecodeOptions, clock: &dyn Clock) -> FrameDecode {
    let mut result = decode_symbols(frame, options, clock);
    join_parts(&mut result.codes);
    result
}

/// Each complete sequence's parts replaced by the joined message.
fn join_parts(codes: &mut Vec<Code>) {
    if codes.iter().all(|c| c.part.is_none()) {
        return;
    }
    for joined in payload::join(codes.iter().filter_map(|c| c.part.as_ref())) {
        let payload::Joined::Whole { total, parity, bytes } = joined else { continue };
        let of_it = |c: &Code| c.part.as_ref().is_some_and(|p| p.total == total && p.parity == parity);
        let Some(first) = codes.iter().position(|c| c.part.as_ref().is_some_and(|p| p.index == 0) && of_it(c)) else {
            continue;
        };
        let corners = codes[first].corners;
        codes.retain(|c| !of_it(c));
        codes.push(Code::whole(bytes_to_text(&bytes), corners));
    }
}

fn decode_symbols(frame: &GrayImage, options: &DecodeOptions, clock: &dyn Clock) -> FrameDecode {
    let deadline = Deadline::new(clock, options.budget);
    let mut result = FrameDecode::default();
    if frame.width() < 21 || frame.height() < 21 {
        return result;
    }
    let base_factor = preprocess::factor_for(frame.width(), frame.height(), MAX_WORKING_SIDE);
    let mut levels: Vec<(Level, GrayImage)> = Vec::new();
    // The finder scan and the grid reader cost one pass over the pixels and a few thousand
    // samples per code, so they get a finer image than rqrr: small codes in a photograph
    // would shrink below two pixels a module in the working image.
    // Shrinking and thresholding it happen before the scan can look at the clock, so the
    // fine image is also no larger than the budget pays for at that price.
    let affordable = (options.budget.as_nanos() / FINE_NANOS_PER_PIXEL).max(1) as u64;
    let mut fine_factor = preprocess::factor_for(frame.width(), frame.height(), MAX_FINE_SIDE);
    while (frame.width() / fine_factor) as u64 * (frame.height() / fine_factor) as u64 > affordable {
        fine_factor += 1;
    }
    let fine_shrunk = (fine_factor > 1).then(|| preprocess::downscale(frame, fine_factor));
    let fine = fine_shrunk.as_ref().unwrap_or(frame);
    let fine_longest = fine.width().max(fine.height());
    let to_working = fine_factor as f32 / base_factor as f32;

    // Stage 1: finder scans, each triple read through its module grid. Half resolution finds
    // large codes in a quarter of the pixels and averages noise away; full resolution (every
    // second row) finds the small ones.
    let mut unread: Vec<finder::Triple> = Vec::new();
    let mut fine_half: Option<GrayImage> = None;
    // A photograph's large codes have finders wider than the half-resolution window sees
    // whole: they are the quarter-resolution scan's.
    for factor in [4u32, 2, 1] {
        if (factor == 2 && fine_longest < HALF_SCAN_FROM) || (factor == 4 && fine_longest < QUARTER_SCAN_FROM) {
            continue;
        }
        if deadline.spent() {
            result.over_budget = true;
            break;
        }
        let quarter;
        let image = match factor {
            4 => {
                quarter = preprocess::half(fine_half.get_or_insert_with(|| preprocess::half(fine)));
                &quarter
            }
            2 => &*fine_half.get_or_insert_with(|| preprocess::half(fine)),
            _ => fine,
        };
        // At full resolution the window is three blocks (24 pixels) wide: small codes and the
        // thin dark ring of a blooming dark-mode finder need a threshold that local; large
        // codes are the half-resolution scan's, whose window is 80 frame pixels wide.
        let radius = if factor == 1 { 1 } else { 2 };
        let offset = if factor == 1 { FULL_SCAN_OFFSET } else { SCAN_OFFSET };
        let map = preprocess::ThresholdMap::new(image, 3, radius, offset);
        let view = finder::Thresholded { luma: image, map: &map };
        // Every second row of a large frame is enough for a live camera's codes; a finder of
        // two-pixel modules (a small code in a 12 MP photograph) has a core six rows tall, which
        // every second row crosses too seldom to confirm in a dim photograph's noise, and a
        // still image has the time for every row.
        let every_row = options.budget >= EVERY_ROW_FROM;
        let step = if factor == 1 && fine_longest >= 600 && !every_row { 2 } else { 1 };
        // Sensor noise at full resolution makes finder-shaped runs of one or two pixels by
        // the thousand in a camera frame; no readable code there has finders that narrow. A
        // small image is a code cut out or scanned, where a dense code may have one-pixel
        // modules.
        let min_width = if factor == 1 && fine_longest >= 600 { 10 } else { 7 };
        let (finders, complete) = finder::find_finders_until(&view, step, min_width, &|| deadline.spent());
        result.over_budget |= !complete;
        let (w, h) = (image.width() as usize, image.height() as usize);
        let triples = finder::triples(&finders, w, h, MAX_TRIPLES);
        let mut misses = 0;
        for triple in triples {
            let triple = triple.scaled(factor as f32);
            if result.codes.iter().any(|c| triple.touches(c, fine_factor as f32)) {
                continue;
            }
            // Triples come best first; after this many in a row that frame nothing, the rest
            // are texture. Each code read makes a sheet of them likelier, whose triples the
            // texture between codes interleaves, so each allows more.
            if misses >= MAX_MISSES * (1 + result.codes.len() as u32) {
                break;
            }
            if deadline.spent() {
                result.over_budget = true;
                break;
            }
            let outcome = grid::read_until(fine, &triple, &|| deadline.spent());
            result.attempts += outcome.decodes;
            result.panics += outcome.panics;
            match outcome.code {
                Some(code) => {
                    misses = 0;
                    merge(&mut result, vec![code], fine_factor as f32, (0.0, 0.0));
                }
                None if outcome.credible => unread.push(triple.scaled(to_working)),
                None => misses += 1,
            }
        }
    }
    let credible = unread.len();
    unread.retain(|t| !result.codes.iter().any(|c| t.touches(c, base_factor as f32)));
    if !result.codes.is_empty() && unread.is_empty() && !options.exhaustive {
        return result;
    }
    // rqrr's working image is made only now: a photograph read by its finders never needs it,
    // and shrinking twelve megapixels is a good part of a live frame's budget.
    if deadline.spent() {
        result.over_budget = true;
        return result;
    }
    let shrunk = (base_factor > 1 && base_factor != fine_factor).then(|| preprocess::downscale(frame, base_factor));
    let working = shrunk.as_ref().unwrap_or(fine);

    // Stage 2: rqrr on crops around the triples whose grid did not read.
    let mut regions: Vec<finder::Region> = Vec::new();
    for t in &unread {
        if !regions.iter().any(|r| r.overlaps(&t.region)) {
            regions.push(t.region);
        }
    }
    for region in regions.into_iter().take(MAX_REGIONS) {
        if result.codes.iter().any(|c| region.contains_code(c, base_factor as f32)) {
            continue;
        }
        if deadline.spent() {
            result.over_budget = true;
            break;
        }
        let outcome = decode_region(working, &region, &mut result.attempts, &deadline);
        result.over_budget |= outcome.cut_short;
        result.panics += outcome.panics;
        merge(&mut result, outcome.codes, base_factor as f32, (0.0, 0.0));
    }
    if !result.codes.is_empty() && !options.exhaustive {
        return result;
    }

    // Stage 3: whole-frame attempts, for codes whose finders the row scan missed.
    // A frame where the finder scan saw nothing that even frames a code (no credible triple)
    // is most often an empty gate: it gets a small share of the budget for these passes, not
    // all of it, so an empty gate costs little.
    let deadline =
        if credible == 0 && result.codes.is_empty() { deadline.share(options.evidenceless_share) } else { deadline };
    for attempt in plan(working.width(), working.height()) {
        if deadline.spent() {
            result.over_budget = true;
            break;
        }
        let (lw, lh) = level_size(working, attempt.level);
        let made = levels.iter().any(|(l, _)| *l == attempt.level) || attempt.level == Level::Down(1);
        let cost = view_cost(lw, lh) + if made { Duration::ZERO } else { level_cost(attempt.level, lw, lh) };
        if cost > deadline.remaining() {
            // A view that would overrun the frame's budget is not made: the next frame is
            // coming, and a cheaper view later in the plan may still fit.
            result.over_budget = true;
            continue;
        }
        let image = level_image(&mut levels, working, attempt.level);
        let outcome = run_attempt(image, attempt.view, &deadline);
        result.attempts += outcome.calls;
        result.panics += outcome.panics;
        result.over_budget |= outcome.cut_short;
        let failed = outcome.failed_grids;
        let scale = scale_of(attempt.level) * base_factor as f32;
        merge(&mut result, outcome.codes, scale, (0.0, 0.0));
        if !options.exhaustive && !result.codes.is_empty() && failed == 0 {
            break;
        }
    }
    result
}

/// How much darker than its surroundings a pixel must be to count as dark in the finder scan:
/// enough that flat paper and walls do not break into noise, little enough for a dim gate.
/// Full resolution keeps more of the sensor's noise, so it needs more.
const SCAN_OFFSET: u8 = 4;
const FULL_SCAN_OFFSET: u8 = 8;

/// Finder triples read per scan: a sheet of sixty codes has sixty and the texture between
/// them more; the budget bounds the rest.
const MAX_TRIPLES: usize = 1024;

/// Images at least this long on their longer side are also scanned at half their resolution:
/// a code cut out or scanned at ten pixels a module has finder cores wider than the full
/// resolution scan's threshold window, which breaks them up.
const HALF_SCAN_FROM: u32 = 200;

/// Frames at least this long on their longer side are also scanned at a quarter of their
/// resolution.
const QUARTER_SCAN_FROM: u32 = 2400;

/// Budgets from which the full-resolution finder scan reads every row of a large frame.
const EVERY_ROW_FROM: Duration = Duration::from_millis(500);

/// Triples in a row that frame nothing before a scan's remaining triples are left unread.
const MAX_MISSES: u32 = 16;

/// Regions tried with rqrr per frame.
const MAX_REGIONS: usize = 6;

/// Adds codes not yet in the result, with corners mapped from attempt to frame coordinates.
fn merge(result: &mut FrameDecode, codes: Vec<Code>, scale: f32, offset: (f32, f32)) {
    for code in codes {
        if !result.codes.iter().any(|c| c.same_as(&code)) {
            let corners = code.corners.map(|(x, y)| ((x + offset.0) * scale, (y + offset.1) * scale));
            result.codes.push(Code { corners, ..code });
        }
    }
}

impl finder::Triple {
    /// Whether any of the triple's finders lies on an already decoded code (frame coordinates):
    /// data modules and the code's own finders make many such triples.
    fn touches(&self, code: &Code, base_factor: f32) -> bool {
        let q = code.corners.map(|(x, y)| (x / base_factor, y / base_factor));
        [self.top_left, self.top_right, self.bottom_left].iter().any(|f| inside_quad(&q, f.x, f.y))
    }
}

/// Whether (x, y) lies inside the convex quadrilateral `q` (either winding).
fn inside_quad(q: &[(f32, f32); 4], x: f32, y: f32) -> bool {
    let side = |a: (f32, f32), b: (f32, f32)| (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
    let s: Vec<f32> = (0..4).map(|i| side(q[i], q[(i + 1) % 4])).collect();
    s.iter().all(|&v| v >= 0.0) || s.iter().all(|&v| v <= 0.0)
}

impl finder::Region {
    /// Whether an already decoded code (frame coordinates) sits inside this region of the
    /// working image.
    fn contains_code(&self, code: &Code, base_factor: f32) -> bool {
        let (cx, cy) = code.corners.iter().fold((0.0, 0.0), |(x, y), c| (x + c.0 / 4.0, y + c.1 / 4.0));
        let (cx, cy) = (cx / base_factor, cy / base_factor);
        (self.x0..self.x1).contains(&cx) && (self.y0..self.y1).contains(&cy)
    }
}

/// Decodes the crop around one finder triple, scaled so modules are a few pixels wide, under a
/// few views; codes come back in working-image coordinates.
fn decode_region(
    working: &GrayImage,
    region: &finder::Region,
    attempts: &mut u32,
    deadline: &Deadline,
) -> AttemptOutcome {
    let (x0, y0) = (region.x0.floor() as u32, region.y0.floor() as u32);
    let (x1, y1) = ((region.x1.ceil() as u32).min(working.width()), (region.y1.ceil() as u32).min(working.height()));
    let mut total = AttemptOutcome::default();
    if x1 <= x0 + 21 || y1 <= y0 + 21 {
        return total;
    }
    // Nothing is cut out or resized unless at least the first view fits the time left.
    let (cw, ch) = (x1 - x0, y1 - y0);
    let (vw, vh) = if region.module < 3.0 {
        (cw * 2, ch * 2)
    } else if region.module > 9.0 {
        (cw / (region.module / 4.5) as u32, ch / (region.module / 4.5) as u32)
    } else {
        (cw, ch)
    };
    let resize = if region.module < 3.0 { level_cost(Level::Up2, vw, vh) } else { Duration::ZERO };
    if view_cost(vw, vh) + resize > deadline.remaining() {
        total.cut_short = true;
        return total;
    }
    let crop = image::imageops::crop_imm(working, x0, y0, cw, ch).to_image();
    let (crop, scale) = if region.module < 3.0 {
        let up =
            image::imageops::resize(&crop, crop.width() * 2, crop.height() * 2, image::imageops::FilterType::Triangle);
        (up, 0.5)
    } else if region.module > 9.0 {
        let f = (region.module / 4.5) as u32;
        (preprocess::downscale(&crop, f), f as f32)
    } else {
        (crop, 1.0)
    };
    let crop = if region.inverted { preprocess::invert(&crop) } else { crop };
    let views = [
        View::Native,
        View::Otsu { inverted: false },
        View::Mean { div: 8, offset: 4, inverted: false },
        View::BlurMean { div: 12, offset: 2 },
        View::Mean { div: 16, offset: 2, inverted: false },
        View::BlurMean { div: 6, offset: 6 },
    ];
    for view in views {
        if view_cost(crop.width(), crop.height()) > deadline.remaining() {
            total.cut_short = true;
            break;
        }
        let outcome = run_attempt(&crop, view, deadline);
        *attempts += outcome.calls;
        total.panics += outcome.panics;
        total.cut_short |= outcome.cut_short;
        if !outcome.codes.is_empty() {
            total.codes = outcome
                .codes
                .into_iter()
                .map(|c| Code { corners: c.corners.map(|(x, y)| (x * scale + x0 as f32, y * scale + y0 as f32)), ..c })
                .collect();
            break;
        }
    }
    total
}

/// What making one view costs per pixel before rqrr sees it (a resize, a threshold, the
/// capstone count); rqrr's own cost is estimated from the count (`rqrr_pass`).
const VIEW_NANOS_PER_PIXEL: u64 = 12;

/// Making a level: shrinking averages blocks in a pass, doubling runs the image crate's
/// triangle filter, which costs several times more per pixel it makes.
fn level_cost(level: Level, width: u32, height: u32) -> Duration {
    let per_pixel = if level == Level::Up2 { 40 } else { 4 };
    Duration::from_nanos(width as u64 * height as u64 * per_pixel)
}

fn view_cost(width: u32, height: u32) -> Duration {
    Duration::from_nanos(width as u64 * height as u64 * VIEW_NANOS_PER_PIXEL)
}

fn level_size(working: &GrayImage, level: Level) -> (u32, u32) {
    match level {
        Level::Down(f) => (working.width() / f, working.height() / f),
        Level::Up2 => (working.width() * 2, working.height() * 2),
    }
}

fn scale_of(level: Level) -> f32 {
    match level {
        Level::Down(f) => f as f32,
        Level::Up2 => 0.5,
    }
}

fn level_image<'a>(levels: &'a mut Vec<(Level, GrayImage)>, working: &'a GrayImage, level: Level) -> &'a GrayImage {
    if level == Level::Down(1) {
        return working;
    }
    if let Some(i) = levels.iter().position(|(l, _)| *l == level) {
        return &levels[i].1;
    }
    let image = match level {
        Level::Down(2) => preprocess::half(working),
        Level::Down(f) => preprocess::downscale(working, f),
        Level::Up2 => image::imageops::resize(
            working,
            working.width() * 2,
            working.height() * 2,
            image::imageops::FilterType::Triangle,
        ),
    };
    levels.push((level, image));
    &levels.last().expect("just pushed").1
}

/// The attempts for a working image of this size, in order of how many codes each adds per
/// unit of work (measured on the ZXing corpus and the generated gate frames).
pub fn plan(width: u32, height: u32) -> Vec<Attempt> {
    let longest = width.max(height);
    let mean = |div, offset| View::Mean { div, offset, inverted: false };
    let mut plan = Vec::new();
    let mut add = |level, view| plan.push(Attempt { level, view });
    // Half resolution first: a quarter of the pixels, and averaging tames noise and moiré.
    if longest >= 200 {
        add(Level::Down(2), mean(32, 3));
    }
    add(Level::Down(1), mean(8, 10));
    add(Level::Down(1), View::Native);
    if longest >= 200 {
        add(Level::Down(2), View::Otsu { inverted: false });
    }
    add(Level::Down(1), mean(32, 3));
    add(Level::Down(1), View::BlurMean { div: 16, offset: 4 });
    // Dark-mode phone screens: light modules on a dark background.
    if longest >= 200 {
        add(Level::Down(2), View::Mean { div: 32, offset: 3, inverted: true });
    }
    add(Level::Down(1), View::Mean { div: 8, offset: 10, inverted: true });
    add(Level::Down(1), View::BlurMean { div: 24, offset: 4 });
    if longest >= 200 {
        add(Level::Down(2), mean(12, 2));
    }
    add(Level::Down(1), View::Otsu { inverted: false });
    add(Level::Down(1), mean(16, 6));
    add(Level::Down(1), mean(6, 14));
    if longest >= 1000 {
        add(Level::Down(3), View::Native);
    }
    if longest <= 800 {
        add(Level::Up2, mean(12, 2));
        add(Level::Up2, View::BlurMean { div: 32, offset: 2 });
    }
    plan
}

/// rqrr on one view of an image, within the budget (`rqrr_pass`); every rqrr call is guarded.
pub fn run_attempt(image: &GrayImage, view: View, budget: &dyn Budget) -> AttemptOutcome {
    let w = image.width() as usize;
    let bits = match view {
        View::Native => rqrr_pass::rqrr_threshold(image.as_raw(), w),
        View::NativeInverted => rqrr_pass::rqrr_threshold(preprocess::invert(image).as_raw(), w),
        View::Mean { div, offset, inverted } => {
            let r = (image.width().max(image.height()) / div).max(4);
            // Inverting the luma (not the bits) keeps the offset on the right side of the mean.
            if inverted {
                preprocess::mean_threshold(&preprocess::invert(image), r, offset)
            } else {
                preprocess::mean_threshold(image, r, offset)
            }
        }
        View::Otsu { inverted } => maybe_invert(preprocess::otsu_threshold(image), inverted),
        View::BlurMean { div, offset } => {
            let r = (image.width().max(image.height()) / div).max(4);
            preprocess::mean_threshold(&preprocess::blur3(image), r, offset)
        }
    };
    let pass = rqrr_pass::detect(&bits, w, budget);
    let mut outcome = AttemptOutcome {
        codes: pass.codes,
        failed_grids: pass.failed_grids,
        panics: pass.panics,
        calls: pass.calls,
        cut_short: pass.cut_short,
    };
    // rqrr's call on these capstones would not fit the budget, and it cannot be stopped once
    // started; the grid reader reads through the same capstones, asking the budget as it goes.
    // Its cost estimate holds for the worst case (a module a pixel), which a code whose finders
    // are several pixels a module never comes near.
    let inverted =
        matches!(view, View::NativeInverted | View::Mean { inverted: true, .. } | View::Otsu { inverted: true });
    for rings in pass.refused {
        let finders: Vec<finder::Finder> = rings
            .iter()
            .map(|r| finder::Finder {
                x: (r.x0 + r.x1) as f32 / 2.0,
                y: (r.y0 + r.y1) as f32 / 2.0,
                module: ((r.x1 - r.x0) + (r.y1 - r.y0)) as f32 / 14.0,
                inverted,
                // rqrr's own row test and region check confirmed each of them.
                hits: 2,
                contrast: 0.0,
            })
            .collect();
        let (w, h) = (image.width() as usize, image.height() as usize);
        for triple in finder::triples_of_few(&finders, w, h, REFUSED_TRIPLES) {
            if budget.remaining().is_zero() {
                outcome.cut_short = true;
                break;
            }
            if outcome.codes.iter().any(|c| triple.touches(c, 1.0)) {
                continue;
            }
            let read = grid::read_until(image, &triple, &|| budget.remaining().is_zero());
            outcome.calls += read.decodes;
            outcome.panics += read.panics;
            match read.code {
                Some(code) if !outcome.codes.iter().any(|c| c.same_as(&code)) => outcome.codes.push(code),
                Some(_) => {}
                None => outcome.failed_grids += u32::from(read.credible),
            }
        }
    }
    outcome
}

/// Triples of a refused tile's capstones the grid reader tries: a tile holds at most twelve
/// capstones, a code three of them.
const REFUSED_TRIPLES: usize = 8;

fn maybe_invert(mut bits: Vec<bool>, inverted: bool) -> Vec<bool> {
    if inverted {
        bits.iter_mut().for_each(|b| *b = !*b);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` drawn axis-aligned at (x, y) with `px` pixels per module into `frame`.
    fn draw(frame: &mut GrayImage, text: &str, x: u32, y: u32, px: u32) {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).unwrap();
        let n = code.width() as u32;
        let colors = code.to_colors();
        for v in 0..(n + 8) * px {
            for u in 0..(n + 8) * px {
                let (mu, mv) = ((u / px) as i64 - 4, (v / px) as i64 - 4);
                let inside = (0..n as i64).contains(&mu) && (0..n as i64).contains(&mv);
                let dark = inside && colors[(mv * n as i64 + mu) as usize] == qrcode::Color::Dark;
                frame.put_pixel(x + u, y + v, image::Luma([if dark { 25 } else { 215 }]));
            }
        }
    }

    /// A clock that moves on by `step` every time it is read: a machine so slow that the
    /// budget is gone at the first look.
    struct Racing {
        step: Duration,
        reads: std::cell::Cell<u32>,
    }

    impl Clock for Racing {
        fn now(&self) -> Duration {
            self.reads.set(self.reads.get() + 1);
            self.step * self.reads.get()
        }
    }

    #[test]
    fn a_badge_close_up_and_another_far_away_both_read_in_one_frame() {
        let mut frame = GrayImage::from_pixel(1280, 720, image::Luma([120]));
        let (near, far) = ("QG1:NEAR 0123456789ABCDEFGHIJ", "QG1:FAR 0123456789ABCDEFGHIJ");
        draw(&mut frame, near, 40, 40, 18);
        draw(&mut frame, far, 1000, 500, 3);
        let decoded = decode_frame(&frame, &DecodeOptions::default(), &crate::StoppedClock);
        let mut texts = decoded.texts();
        texts.sort();
        assert_eq!(texts, vec![far.to_string(), near.to_string()]);
        assert_eq!(decoded.panics, 0);
    }

    #[test]
    fn nothing_starts_once_the_budget_is_spent() {
        let mut frame = GrayImage::from_pixel(640, 480, image::Luma([120]));
        draw(&mut frame, "QG1:NV00123", 100, 100, 5);
        let clock = Racing { step: Duration::from_millis(50), reads: std::cell::Cell::new(0) };
        let decoded = decode_frame(&frame, &DecodeOptions::default(), &clock);
        assert!(decoded.over_budget);
        assert_eq!(decoded.attempts, 0);
        assert!(decoded.codes.is_empty());
    }

    #[test]
    fn tiny_or_empty_frames_decode_to_nothing() {
        let tiny = GrayImage::new(10, 10);
        assert_eq!(decode(&tiny), Vec::<String>::new());
    }
}
