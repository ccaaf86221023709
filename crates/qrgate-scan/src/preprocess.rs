//! Image preparation before rqrr: pyramid levels, local and global thresholds, inversion.
//!
//! rqrr binarises with a running row average, which fails on glare, shadows, low contrast and
//! light-on-dark codes; these functions give the decoder other views of the same frame.

use image::GrayImage;

/// Shrinks by an integer factor, averaging each factor×factor block (keeps edges honest,
/// unlike point sampling, and averages out moiré and sensor noise).
pub fn downscale(img: &GrayImage, factor: u32) -> GrayImage {
    if factor <= 1 {
        return img.clone();
    }
    let (w, h) = (img.width() / factor, img.height() / factor);
    let src = img.as_raw();
    let sw = img.width() as usize;
    let f = factor as usize;
    let area = (f * f) as u32;
    let mut out = Vec::with_capacity((w * h) as usize);
    let mut sums = vec![0u32; w as usize];
    for oy in 0..h as usize {
        sums.iter_mut().for_each(|s| *s = 0);
        for dy in 0..f {
            let row = &src[(oy * f + dy) * sw..(oy * f + dy) * sw + w as usize * f];
            for (ox, chunk) in row.chunks_exact(f).enumerate() {
                sums[ox] += chunk.iter().map(|&p| p as u32).sum::<u32>();
            }
        }
        out.extend(sums.iter().map(|&s| ((s + area / 2) / area) as u8));
    }
    GrayImage::from_raw(w, h, out).expect("buffer sized from dimensions")
}

/// Halves both sides, averaging each 2×2 block: the common case of `downscale`, written so the
/// compiler can vectorise it (it runs on every live frame).
pub fn half(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() / 2, img.height() / 2);
    let sw = img.width() as usize;
    let src = img.as_raw();
    let mut out = vec![0u8; (w * h) as usize];
    for (oy, row) in out.chunks_exact_mut(w.max(1) as usize).enumerate() {
        let top = &src[2 * oy * sw..2 * oy * sw + 2 * w as usize];
        let bottom = &src[(2 * oy + 1) * sw..(2 * oy + 1) * sw + 2 * w as usize];
        for ((o, a), b) in row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
            *o = ((a[0] as u16 + a[1] as u16 + b[0] as u16 + b[1] as u16 + 2) >> 2) as u8;
        }
    }
    GrayImage::from_raw(w, h, out).expect("buffer sized from dimensions")
}

/// A local threshold kept per block of pixels instead of per pixel: the mean of the
/// (2·radius+1)² blocks around each block, less an offset. One pass over the image builds it
/// and a lookup applies it, so the finder scan can threshold a full 1280×720 frame for the
/// price of reading it; rows are only binarised where they are scanned.
#[derive(Debug, Clone)]
pub struct ThresholdMap {
    shift: u32,
    cols: usize,
    levels: Vec<u8>,
}

impl ThresholdMap {
    /// Blocks are 2^`shift` pixels square; `offset` keeps flat areas (paper, walls) from
    /// turning into noise.
    pub fn new(img: &GrayImage, shift: u32, radius: usize, offset: u8) -> ThresholdMap {
        debug_assert!(shift <= 8, "a block's column sums must fit 16 bits");
        let (w, h) = (img.width() as usize, img.height() as usize);
        let block = 1usize << shift;
        let (cols, rows) = (w.div_ceil(block), h.div_ceil(block));
        let raw = img.as_raw();
        // Column sums over a block's rows first (one add per pixel, vectorised), then across.
        let mut column = vec![0u16; w];
        let mut sums = vec![0u32; cols * rows];
        for by in 0..rows {
            column.fill(0);
            for y in by * block..((by + 1) * block).min(h) {
                for (c, &p) in column.iter_mut().zip(&raw[y * w..(y + 1) * w]) {
                    *c += p as u16;
                }
            }
            for (s, chunk) in sums[by * cols..(by + 1) * cols].iter_mut().zip(column.chunks(block)) {
                *s = chunk.iter().map(|&c| c as u32).sum();
            }
        }
        // Window sums through a summed-area table of block sums; pixel counts follow from the
        // window's extent (only the last row and column of blocks can be partial).
        let stride = cols + 1;
        let mut table = vec![0u64; stride * (rows + 1)];
        for by in 0..rows {
            let mut acc = 0u64;
            for bx in 0..cols {
                acc += sums[by * cols + bx] as u64;
                table[(by + 1) * stride + bx + 1] = table[by * stride + bx + 1] + acc;
            }
        }
        let mut levels = Vec::with_capacity(cols * rows);
        for by in 0..rows {
            let (y0, y1) = (by.saturating_sub(radius), (by + radius + 1).min(rows));
            let tall = ((y1 * block).min(h) - y0 * block) as u64;
            for bx in 0..cols {
                let (x0, x1) = (bx.saturating_sub(radius), (bx + radius + 1).min(cols));
                let wide = ((x1 * block).min(w) - x0 * block) as u64;
                let sum = table[y1 * stride + x1] + table[y0 * stride + x0]
                    - table[y0 * stride + x1]
                    - table[y1 * stride + x0];
                levels.push(((sum / (wide * tall)) as u8).saturating_sub(offset));
            }
        }
        ThresholdMap { shift, cols, levels }
    }

    /// Pixels darker than this at (x, y) count as dark.
    #[inline]
    pub fn level(&self, x: usize, y: usize) -> u8 {
        self.levels[(y >> self.shift) * self.cols + (x >> self.shift)]
    }

    /// The per-block levels of row `y`, one per 2^shift pixels.
    fn row_levels(&self, y: usize) -> &[u8] {
        let start = (y >> self.shift) * self.cols;
        &self.levels[start..start + self.cols]
    }

    /// Binarises row `y` of `img` into `out`: 1 = dark, 0 = light. Levels are spread to one
    /// per pixel first so both passes are plain vectorisable loops.
    pub fn binarise_row(&self, img: &GrayImage, y: usize, out: &mut Vec<u8>) {
        let w = img.width() as usize;
        let row = &img.as_raw()[y * w..(y + 1) * w];
        let block = 1 << self.shift;
        out.clear();
        out.resize(w, 0);
        for (chunk, &level) in out.chunks_mut(block).zip(self.row_levels(y)) {
            chunk.fill(level);
        }
        for (o, &p) in out.iter_mut().zip(row) {
            *o = u8::from(p < *o);
        }
    }
}

/// The smallest integer factor that brings the longer side to at most `max_side`.
pub fn factor_for(width: u32, height: u32, max_side: u32) -> u32 {
    let longest = width.max(height);
    longest.div_ceil(max_side.max(1)).max(1)
}

/// Light-on-dark codes (phone dark mode) become dark-on-light.
pub fn invert(img: &GrayImage) -> GrayImage {
    let raw = img.as_raw().iter().map(|&p| 255 - p).collect();
    GrayImage::from_raw(img.width(), img.height(), raw).expect("same dimensions")
}

/// Summed-area table with one extra row and column of zeros, so window sums need no edge cases.
struct Integral {
    w: usize,
    sums: Vec<u32>,
}

impl Integral {
    fn new(img: &GrayImage) -> Integral {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let mut sums = vec![0u32; (w + 1) * (h + 1)];
        let raw = img.as_raw();
        for y in 0..h {
            let mut row = 0u32;
            for x in 0..w {
                row += raw[y * w + x] as u32;
                sums[(y + 1) * (w + 1) + x + 1] = sums[y * (w + 1) + x + 1] + row;
            }
        }
        Integral { w, sums }
    }

    fn sum(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> u32 {
        let s = &self.sums;
        let w = self.w + 1;
        s[y1 * w + x1] + s[y0 * w + x0] - s[y0 * w + x1] - s[y1 * w + x0]
    }
}

/// Local-mean threshold: a pixel is dark when it is darker than its neighbourhood mean by more
/// than `offset`. `radius` should span a few modules so a finder pattern sees both colours;
/// the offset keeps flat paper from turning into salt-and-pepper. Sliding column and row sums
/// keep it at a few operations per pixel whatever the radius.
pub fn mean_threshold(img: &GrayImage, radius: u32, offset: u8) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = (radius.max(1) as usize).min(w.max(h));
    let raw = img.as_raw();
    let mut col = vec![0u32; w];
    // Column sums over rows [0, r] to start with; the window then slides down one row at a time.
    for y in 0..=r.min(h - 1) {
        for (c, &p) in col.iter_mut().zip(&raw[y * w..(y + 1) * w]) {
            *c += p as u32;
        }
    }
    let mut dark = vec![false; w * h];
    for y in 0..h {
        if y > 0 {
            if y + r < h {
                for (c, &p) in col.iter_mut().zip(&raw[(y + r) * w..(y + r + 1) * w]) {
                    *c += p as u32;
                }
            }
            if y > r {
                for (c, &p) in col.iter_mut().zip(&raw[(y - r - 1) * w..(y - r) * w]) {
                    *c -= p as u32;
                }
            }
        }
        let rows = ((y + r + 1).min(h) - y.saturating_sub(r)) as u32;
        let mut sum: u32 = col[..=r.min(w - 1)].iter().sum();
        let row = &raw[y * w..(y + 1) * w];
        let out = &mut dark[y * w..(y + 1) * w];
        for x in 0..w {
            if x > 0 {
                if x + r < w {
                    sum += col[x + r];
                }
                if x > r {
                    sum -= col[x - r - 1];
                }
            }
            let cols = ((x + r + 1).min(w) - x.saturating_sub(r)) as u32;
            out[x] = (row[x] as u32 + offset as u32) * cols * rows < sum;
        }
    }
    dark
}

/// Otsu's global threshold; for evenly lit codes that the local threshold fragments.
pub fn otsu_threshold(img: &GrayImage) -> Vec<bool> {
    let mut hist = [0u64; 256];
    for &p in img.as_raw() {
        hist[p as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let sum_all: u64 = hist.iter().enumerate().map(|(i, &c)| i as u64 * c).sum();
    let (mut w_b, mut sum_b, mut best, mut best_t) = (0u64, 0u64, 0f64, 0u8);
    for (t, &count) in hist.iter().enumerate() {
        w_b += count;
        if w_b == 0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0 {
            break;
        }
        sum_b += t as u64 * count;
        let m_b = sum_b as f64 / w_b as f64;
        let m_f = (sum_all - sum_b) as f64 / w_f as f64;
        let between = w_b as f64 * w_f as f64 * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    img.as_raw().iter().map(|&p| p <= best_t).collect()
}

/// 3×3 box blur; takes the edge off JPEG blocking, noise and screen moiré before thresholding.
pub fn blur3(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let integral = Integral::new(img);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(1), (y + 2).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(1), (x + 2).min(w));
            let area = ((x1 - x0) * (y1 - y0)) as u32;
            out.push(((integral.sum(x0, y0, x1, y1) + area / 2) / area) as u8);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("same dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_averages_blocks() {
        let img = GrayImage::from_raw(4, 2, vec![0, 255, 10, 10, 255, 0, 10, 10]).unwrap();
        let small = downscale(&img, 2);
        assert_eq!(small.dimensions(), (2, 1));
        assert_eq!(small.as_raw(), &vec![128, 10]);
    }

    #[test]
    fn factor_brings_longest_side_under_limit() {
        assert_eq!(factor_for(1280, 720, 1280), 1);
        assert_eq!(factor_for(2592, 1944, 1280), 3);
        assert_eq!(factor_for(10, 10, 0), 10);
    }

    #[test]
    fn mean_threshold_separates_a_dark_square_on_gradient() {
        // A dark square on a left-to-right brightness ramp: a global threshold would swallow
        // the dark end of the ramp, the local one must not.
        let mut img = GrayImage::from_fn(60, 20, |x, _| image::Luma([(60 + x * 3) as u8]));
        for y in 5..15 {
            for x in 40..50 {
                img.put_pixel(x, y, image::Luma([90]));
            }
        }
        let dark = mean_threshold(&img, 8, 10);
        assert!(dark[10 * 60 + 45]);
        assert!(!dark[10 * 60 + 2]);
        assert!(!dark[2 * 60 + 20]);
    }

    #[test]
    fn half_matches_downscale_by_two() {
        let img = GrayImage::from_fn(37, 21, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]));
        assert_eq!(half(&img), downscale(&img, 2));
    }

    #[test]
    fn threshold_map_follows_local_brightness() {
        // Dark squares on a bright left half and a dim right half: each is dark against its
        // own surroundings, and the dim background itself is not.
        let mut img = GrayImage::from_fn(128, 64, |x, _| image::Luma([if x < 64 { 200 } else { 70 }]));
        for y in 24..40 {
            for x in (24..40).chain(88..104) {
                let v = if x < 64 { 100 } else { 20 };
                img.put_pixel(x, y, image::Luma([v]));
            }
        }
        let map = ThresholdMap::new(&img, 3, 2, 4);
        let mut row = Vec::new();
        map.binarise_row(&img, 30, &mut row);
        assert!(row[30] == 1 && row[95] == 1, "squares are dark");
        assert!(row[5] == 0 && row[120] == 0, "backgrounds are light");
    }

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_raw(4, 1, vec![20, 30, 200, 210]).unwrap();
        assert_eq!(otsu_threshold(&img), vec![true, true, false, false]);
    }
}
