//! A symbol's message read by the crate itself from its module bits: the codewords out of the
//! grid, Reed–Solomon correction block by block, and the segments, the structured-append header
//! included.
//!
//! rqrr corrects and decodes every ordinary symbol, but refuses a stream that opens with the
//! structured-append header (mode 0011: the symbol's place in a sequence of up to sixteen and
//! the parity of the whole message), and hands out no corrected stream to read it from. Such a
//! symbol comes here; rqrr still reads and corrects the format information.

use serde::Serialize;

/// One symbol's place in a message spread over several symbols (structured append).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// Place in the sequence, from 0 (the header's own numbering).
    pub index: u8,
    /// How many symbols the message spans.
    pub total: u8,
    /// The XOR of every byte of the whole message: tells one sequence from another.
    pub parity: u8,
    /// This symbol's own bytes: the parts are joined as bytes before they become text, since a
    /// UTF-8 character may straddle two symbols.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// What a symbol's corrected stream says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub bytes: Vec<u8>,
    pub part: Option<Part>,
}

/// Reads the symbol whose modules are `bits` (row-major, `n` a side, `true` = dark), as printed
/// or mirrored (rqrr reads both too). `None` when the format, the error correction or the
/// segments do not hold.
pub fn read(bits: &[bool], n: usize) -> Option<Message> {
    read_oriented(n, |x, y| bits[y * n + x]).or_else(|| read_oriented(n, |x, y| bits[x * n + y]))
}

fn read_oriented(n: usize, dark: impl Fn(usize, usize) -> bool) -> Option<Message> {
    let version = n.checked_sub(17).filter(|s| s % 4 == 0).map(|s| s / 4).filter(|v| (1..=40).contains(v))?;
    let printed = rqrr::Grid::new(rqrr::SimpleGrid::from_func(n, &dark));
    let (meta, _) = printed.get_raw_data().ok()?;
    // rqrr reads the stream in module order but leaves the mask on: the mask is taken off the
    // grid first, everywhere but the format information, which must stay as printed.
    let mask = meta.mask;
    let unmasked = rqrr::SimpleGrid::from_func(n, |x, y| dark(x, y) ^ (masked(mask, x, y) && !format_module(x, y, n)));
    let (_, raw) = rqrr::Grid::new(unmasked).get_raw_data().ok()?;
    let total = raw_codewords(version);
    if raw.len / 8 < total {
        return None;
    }
    // rqrr hands over the format's two-bit level field as it is printed: 00 is M, 01 L, 10 H, 11 Q.
    let level = [Level::M, Level::L, Level::H, Level::Q].get(meta.ecc_level as usize).copied()?;
    let data = correct(&raw.data[..total], version, level)?;
    segments(&data, version)
}

/// The four error-correction levels, in the order of the tables below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    L,
    M,
    Q,
    H,
}

/// The mask pattern `mask` (0–7) at column `x`, row `y`: where it is true the module was
/// inverted when the symbol was printed.
fn masked(mask: u16, x: usize, y: usize) -> bool {
    match mask {
        0 => (y + x) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (y + x) % 3 == 0,
        4 => (y / 2 + x / 3) % 2 == 0,
        5 => (y * x) % 2 + (y * x) % 3 == 0,
        6 => ((y * x) % 2 + (y * x) % 3) % 2 == 0,
        _ => ((y + x) % 2 + (y * x) % 3) % 2 == 0,
    }
}

/// The modules of both copies of the format information.
fn format_module(x: usize, y: usize, n: usize) -> bool {
    (y == 8 && (x <= 8 || x >= n - 8)) || (x == 8 && (y <= 8 || y >= n - 8))
}

/// Codewords a symbol of `version` holds: its modules less the function patterns, in bytes.
fn raw_codewords(version: usize) -> usize {
    let v = version;
    let mut modules = (16 * v + 128) * v + 64;
    if v >= 2 {
        let aligns = v / 7 + 2;
        modules -= (25 * aligns - 10) * aligns - 55;
        if v >= 7 {
            modules -= 36;
        }
    }
    modules / 8
}

/// Error-correction codewords per block, by version (from 1) and level (ISO/IEC 18004 table 9).
const EC_PER_BLOCK: [[u8; 4]; 40] = [
    [7, 10, 13, 17],
    [10, 16, 22, 28],
    [15, 26, 18, 22],
    [20, 18, 26, 16],
    [26, 24, 18, 22],
    [18, 16, 24, 28],
    [20, 18, 18, 26],
    [24, 22, 22, 26],
    [30, 22, 20, 24],
    [18, 26, 24, 28],
    [20, 30, 28, 24],
    [24, 22, 26, 28],
    [26, 22, 24, 22],
    [30, 24, 20, 24],
    [22, 24, 30, 24],
    [24, 28, 24, 30],
    [28, 28, 28, 28],
    [30, 26, 28, 28],
    [28, 26, 26, 26],
    [28, 26, 30, 28],
    [28, 26, 28, 30],
    [28, 28, 30, 24],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [26, 28, 30, 30],
    [28, 28, 28, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
    [30, 28, 30, 30],
];

/// Blocks the codewords are split into, by version and level (the same table).
const BLOCKS: [[u8; 4]; 40] = [
    [1, 1, 1, 1],
    [1, 1, 1, 1],
    [1, 1, 2, 2],
    [1, 2, 2, 4],
    [1, 2, 4, 4],
    [2, 4, 4, 4],
    [2, 4, 6, 5],
    [2, 4, 6, 6],
    [2, 5, 8, 8],
    [4, 5, 8, 8],
    [4, 5, 8, 11],
    [4, 8, 10, 11],
    [4, 9, 12, 16],
    [4, 9, 16, 16],
    [6, 10, 12, 18],
    [6, 10, 17, 16],
    [6, 11, 16, 19],
    [6, 13, 18, 21],
    [7, 14, 21, 25],
    [8, 16, 20, 25],
    [8, 17, 23, 25],
    [9, 17, 23, 34],
    [9, 18, 25, 30],
    [10, 20, 27, 32],
    [12, 21, 29, 35],
    [12, 23, 34, 37],
    [12, 25, 34, 40],
    [13, 26, 35, 42],
    [14, 28, 38, 45],
    [15, 29, 40, 48],
    [16, 31, 43, 51],
    [17, 33, 45, 54],
    [18, 35, 48, 57],
    [19, 37, 51, 60],
    [19, 38, 53, 63],
    [20, 40, 56, 66],
    [21, 43, 59, 70],
    [22, 45, 62, 74],
    [24, 47, 65, 77],
    [25, 49, 68, 81],
];

/// The data codewords of the symbol, each block corrected: the codewords are interleaved
/// across the blocks, data first (the longer blocks' last one after the columns they all
/// share), then the error-correction codewords.
fn correct(codewords: &[u8], version: usize, level: Level) -> Option<Vec<u8>> {
    let (ec, blocks) =
        (EC_PER_BLOCK[version - 1][level as usize] as usize, BLOCKS[version - 1][level as usize] as usize);
    let data_total = codewords.len().checked_sub(ec * blocks)?;
    let short = data_total / blocks;
    let long_blocks = data_total % blocks;
    let short_blocks = blocks - long_blocks;
    let mut out = Vec::with_capacity(data_total);
    for b in 0..blocks {
        let data_len = short + usize::from(b >= short_blocks);
        let mut block: Vec<u8> = (0..short).map(|j| codewords[j * blocks + b]).collect();
        if data_len > short {
            block.push(codewords[short * blocks + b - short_blocks]);
        }
        block.extend((0..ec).map(|j| codewords[data_total + j * blocks + b]));
        reed_solomon(&mut block, ec)?;
        out.extend_from_slice(&block[..data_len]);
    }
    Some(out)
}

/// GF(256) with QR's polynomial x⁸ + x⁴ + x³ + x² + 1: powers of α, and their logarithms.
struct Field {
    exp: [u8; 512],
    log: [u8; 256],
}

const FIELD: Field = {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x as u8;
        exp[i + 255] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11d;
        }
        i += 1;
    }
    Field { exp, log }
};

impl Field {
    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[self.log[a as usize] as usize + self.log[b as usize] as usize]
        }
    }

    fn div(&self, a: u8, b: u8) -> u8 {
        if a == 0 {
            0
        } else {
            self.exp[self.log[a as usize] as usize + 255 - self.log[b as usize] as usize]
        }
    }

    /// α to the power `e` (any integer).
    fn pow(&self, e: i64) -> u8 {
        self.exp[e.rem_euclid(255) as usize]
    }

    /// The polynomial `p` (lowest degree first) at `x`.
    fn eval(&self, p: &[u8], x: u8) -> u8 {
        p.iter().rev().fold(0, |acc, &c| self.mul(acc, x) ^ c)
    }
}

/// The syndromes of a block (first codeword the highest power): all zero when it is a codeword.
fn syndromes(block: &[u8], ec: usize) -> Vec<u8> {
    let f = &FIELD;
    (0..ec).map(|j| block.iter().fold(0, |acc, &c| f.mul(acc, f.pow(j as i64)) ^ c)).collect()
}

/// Corrects one block in place (QR's code: the generator's roots are α⁰ … α^(ec−1)); `None`
/// when it holds more errors than its `ec` codewords can correct.
fn reed_solomon(block: &mut [u8], ec: usize) -> Option<()> {
    let f = &FIELD;
    let s = syndromes(block, ec);
    if s.iter().all(|&v| v == 0) {
        return Some(());
    }
    // Berlekamp–Massey: the shortest error locator Λ (lowest degree first) the syndromes fit.
    let (mut locator, mut previous) = (vec![1u8], vec![1u8]);
    let (mut errors, mut shift, mut last) = (0usize, 1usize, 1u8);
    for k in 0..ec {
        let discrepancy = (1..=errors).fold(s[k], |d, i| d ^ f.mul(*locator.get(i).unwrap_or(&0), s[k - i]));
        if discrepancy == 0 {
            shift += 1;
            continue;
        }
        let scale = f.div(discrepancy, last);
        let mut next = locator.clone();
        next.resize(next.len().max(previous.len() + shift), 0);
        for (i, &p) in previous.iter().enumerate() {
            next[i + shift] ^= f.mul(scale, p);
        }
        if 2 * errors <= k {
            previous = std::mem::replace(&mut locator, next);
            errors = k + 1 - errors;
            last = discrepancy;
            shift = 1;
        } else {
            locator = next;
            shift += 1;
        }
    }
    if 2 * errors > ec {
        return None;
    }
    // Chien's search: position i (from the block's end) is wrong where Λ(α^−i) = 0.
    let len = block.len();
    let wrong: Vec<usize> = (0..len).filter(|&i| f.eval(&locator, f.pow(-(i as i64))) == 0).collect();
    if wrong.len() != errors {
        return None;
    }
    // Forney: the evaluator Ω = S·Λ mod x^ec gives each error's value.
    let mut evaluator = vec![0u8; ec];
    for (i, &si) in s.iter().enumerate() {
        for (j, &lj) in locator.iter().enumerate() {
            if i + j < ec {
                evaluator[i + j] ^= f.mul(si, lj);
            }
        }
    }
    let derivative: Vec<u8> =
        locator.iter().enumerate().skip(1).map(|(i, &c)| if i % 2 == 1 { c } else { 0 }).collect();
    for &i in &wrong {
        let x_inv = f.pow(-(i as i64));
        let denominator = f.eval(&derivative, x_inv);
        if denominator == 0 {
            return None;
        }
        let value = f.mul(f.pow(i as i64), f.div(f.eval(&evaluator, x_inv), denominator));
        block[len - 1 - i] ^= value;
    }
    syndromes(block, ec).iter().all(|&v| v == 0).then_some(())
}

/// The corrected data codewords as bits, most significant first.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn left(&self) -> usize {
        self.data.len() * 8 - self.at
    }

    fn take(&mut self, n: usize) -> Option<u32> {
        if n > self.left() {
            return None;
        }
        let mut v = 0u32;
        for _ in 0..n {
            let bit = self.data[self.at / 8] >> (7 - self.at % 8) & 1;
            v = v << 1 | bit as u32;
            self.at += 1;
        }
        Some(v)
    }
}

const ALPHANUMERIC: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// The segments of the stream, in order, into bytes (kanji as Shift_JIS, as rqrr writes them).
fn segments(data: &[u8], version: usize) -> Option<Message> {
    let mut bits = Bits { data, at: 0 };
    let mut bytes = Vec::new();
    let mut part = None;
    // Character-count widths grow at versions 10 and 27.
    let width = |small: usize, medium: usize, large: usize| match version {
        1..=9 => small,
        10..=26 => medium,
        _ => large,
    };
    while bits.left() >= 4 {
        match bits.take(4)? {
            0 => break,
            1 => {
                let mut count = bits.take(width(10, 12, 14))? as usize;
                while count > 0 {
                    let digits = count.min(3);
                    let value = bits.take([4, 7, 10][digits - 1])?;
                    if value >= 10u32.pow(digits as u32) {
                        return None;
                    }
                    bytes.extend(format!("{value:0digits$}").bytes());
                    count -= digits;
                }
            }
            2 => {
                let mut count = bits.take(width(9, 11, 13))? as usize;
                while count > 0 {
                    if count >= 2 {
                        let value = bits.take(11)? as usize;
                        bytes.extend([*ALPHANUMERIC.get(value / 45)?, ALPHANUMERIC[value % 45]]);
                        count -= 2;
                    } else {
                        bytes.push(*ALPHANUMERIC.get(bits.take(6)? as usize)?);
                        count -= 1;
                    }
                }
            }
            3 if bytes.is_empty() && part.is_none() => {
                let index = bits.take(4)? as u8;
                let total = bits.take(4)? as u8 + 1;
                let parity = bits.take(8)? as u8;
                part = Some((index, total, parity));
            }
            4 => {
                let count = bits.take(width(8, 16, 16))? as usize;
                for _ in 0..count {
                    bytes.push(bits.take(8)? as u8);
                }
            }
            // ECI: the designator is one to three bytes long, told by its leading bits; the text
            // is told from its bytes (`bytes_to_text`), as for rqrr's reads.
            7 => {
                let first = bits.take(8)?;
                let more = if first & 0x80 == 0 {
                    0
                } else if first & 0xc0 == 0x80 {
                    8
                } else {
                    16
                };
                bits.take(more)?;
            }
            8 => {
                let count = bits.take(width(8, 10, 12))? as usize;
                for _ in 0..count {
                    let v = bits.take(13)?;
                    let joined = ((v / 0xc0) << 8) | (v % 0xc0);
                    let sjis = if joined + 0x8140 <= 0x9ffc { joined + 0x8140 } else { joined + 0xc140 };
                    bytes.extend([(sjis >> 8) as u8, sjis as u8]);
                }
            }
            // FNC1 in the first position says the data are GS1's; in the second, an application
            // indicator follows. Neither changes the text.
            5 => {}
            9 => {
                bits.take(8)?;
            }
            _ => return None,
        }
    }
    let part = part.map(|(index, total, parity)| Part { index, total, parity, bytes: bytes.clone() });
    Some(Message { bytes, part })
}

/// A sequence's parts joined in order when all of them are there; otherwise what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    Whole { total: u8, parity: u8, bytes: Vec<u8> },
    Incomplete { total: u8, parity: u8, missing: Vec<u8> },
}

/// Groups parts by sequence (their total and parity) and joins each group: the groups in the
/// order their first part came, each part once.
pub fn join<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Vec<Joined> {
    let mut groups: Vec<(u8, u8, Vec<Option<&Part>>)> = Vec::new();
    for part in parts {
        if part.index >= part.total {
            continue;
        }
        let i = match groups.iter().position(|g| g.0 == part.total && g.1 == part.parity) {
            Some(i) => i,
            None => {
                groups.push((part.total, part.parity, vec![None; part.total as usize]));
                groups.len() - 1
            }
        };
        groups[i].2[part.index as usize].get_or_insert(part);
    }
    groups
        .into_iter()
        .map(|(total, parity, slots)| {
            let missing: Vec<u8> = (0..total).filter(|&i| slots[i as usize].is_none()).collect();
            if missing.is_empty() {
                Joined::Whole {
                    total,
                    parity,
                    bytes: slots.iter().flatten().flat_map(|p| p.bytes.iter().copied()).collect(),
                }
            } else {
                Joined::Incomplete { total, parity, missing }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The modules of `text` as the qrcode crate draws it at `version` and `level`.
    fn symbol(text: &[u8], version: i16, level: qrcode::EcLevel) -> (Vec<bool>, usize) {
        let code = qrcode::QrCode::with_version(text, qrcode::Version::Normal(version), level).unwrap();
        let n = code.width();
        (code.to_colors().iter().map(|&c| c == qrcode::Color::Dark).collect(), n)
    }

    #[test]
    fn every_version_and_level_reads_back_through_our_own_correction() {
        let levels = [qrcode::EcLevel::L, qrcode::EcLevel::M, qrcode::EcLevel::Q, qrcode::EcLevel::H];
        for version in 1..=40 {
            for level in levels {
                let text = format!("{version}{level:?}");
                let (bits, n) = symbol(text.as_bytes(), version, level);
                let message = read(&bits, n).unwrap_or_else(|| panic!("version {version} {level:?}"));
                assert_eq!(message.bytes, text.as_bytes(), "version {version} {level:?}");
                assert_eq!(message.part, None);
            }
        }
    }

    #[test]
    fn damaged_modules_are_corrected_up_to_the_level_and_refused_past_it() {
        let text = b"QG1:NV00123 NGUYEN VAN A 0123456789";
        let (mut bits, n) = symbol(text, 3, qrcode::EcLevel::H);
        // Version 3-H: two blocks of 22 error-correction codewords, eleven errors each. A band
        // of rows in the data region breaks a handful of codewords in each block.
        for y in 12..15 {
            for x in 10..n {
                bits[y * n + x] ^= (x + y) % 3 == 0;
            }
        }
        assert_eq!(read(&bits, n).map(|m| m.bytes), Some(text.to_vec()));
        for y in 9..n {
            for x in 9..n {
                bits[y * n + x] ^= (x * 7 + y * 3) % 5 < 2;
            }
        }
        assert_eq!(read(&bits, n), None);
    }

    #[test]
    fn a_mirrored_symbol_reads_like_rqrrs() {
        let text = b"QG1:MIRROR";
        let (bits, n) = symbol(text, 2, qrcode::EcLevel::M);
        let mirrored: Vec<bool> = (0..n * n).map(|i| bits[(i % n) * n + i / n]).collect();
        assert_eq!(read(&mirrored, n).map(|m| m.bytes), Some(text.to_vec()));
    }

    #[test]
    fn a_structured_append_part_tells_its_place_and_its_sequence() {
        let whole = "QG1:NV00123 Nguyễn Văn An, tổ 3";
        let parity = whole.bytes().fold(0, |p, b| p ^ b);
        let symbols = crate::synth::structured_append_symbols(whole.as_bytes(), 3);
        let (bits, n) = &symbols[1];
        let (bits, n) = (bits.as_slice(), *n);
        let message = read(bits, n).unwrap();
        let part = message.part.unwrap();
        assert_eq!((part.index, part.total, part.parity), (1, 3, parity));
        let share = whole.len().div_ceil(3);
        assert_eq!(part.bytes, &whole.as_bytes()[share..2 * share]);
        let parts: Vec<Part> = symbols.iter().rev().map(|(b, n)| read(b, *n).unwrap().part.unwrap()).collect();
        assert_eq!(join(&parts), vec![Joined::Whole { total: 3, parity, bytes: whole.as_bytes().to_vec() }]);
        // rqrr itself refuses it: that is why this module exists.
        let grid = rqrr::Grid::new(rqrr::SimpleGrid::from_func(n, |x, y| bits[y * n + x]));
        assert!(grid.decode().is_err());
    }

    #[test]
    fn parts_join_in_order_and_a_gap_is_named() {
        let part = |index, total, parity, text: &str| Part { index, total, parity, bytes: text.as_bytes().to_vec() };
        // A character split between two symbols joins whole.
        let e = "ễ".as_bytes();
        let (a, b) = (String::from_utf8_lossy(&e[..1]).into_owned(), e[1..].to_vec());
        let mut second = part(1, 3, 7, "");
        second.bytes = [b.as_slice(), b"n V"].concat();
        let mut first = part(0, 3, 7, "Nguy");
        first.bytes.push(e[0]);
        assert!(a.contains('\u{fffd}'));
        let parts = [part(2, 3, 7, "an A"), first.clone(), second, part(0, 2, 9, "other"), first];
        let joined = join(&parts);
        assert_eq!(joined[0], Joined::Whole { total: 3, parity: 7, bytes: "Nguyễn Van A".as_bytes().to_vec() });
        assert_eq!(joined[1], Joined::Incomplete { total: 2, parity: 9, missing: vec![1] });
        assert_eq!(joined.len(), 2);
    }
}
