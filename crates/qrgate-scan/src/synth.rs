//! Gate-camera frames generated from a seed: badges, phone screens and CCCD cards as a 1280×720
//! webcam at a gate sees them, with the blur, noise, glare and compression of a real camera.
//!
//! The frames are the gate-frame test and benchmark set; everything follows from the seed, so
//! a frame can be regenerated instead of stored.

use std::path::Path;

use image::GrayImage;
use qrcode::{EcLevel, QrCode};

use crate::Error;

pub const FRAME_WIDTH: u32 = 1280;
pub const FRAME_HEIGHT: u32 = 720;
/// The seed of the published gate-frame set (test floors and benchmark figures refer to it).
pub const GATE_SET_SEED: u64 = 0x9A7E_2024;
/// Frames in the published gate-frame set.
pub const GATE_SET_SIZE: usize = 300;

/// What the camera is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// A printed badge held at arm's length.
    PrintedBadge,
    /// The badge shown on a phone, light theme.
    PhoneScreen,
    /// The badge on a phone in dark mode: light modules on black.
    PhoneDarkMode,
    /// A visitor's citizen-ID card with its QR code.
    CccdCard,
    /// Two people's badges in view at once.
    TwoBadges,
    /// A sheet of many printed codes photographed whole (`code_sheet_frame`).
    CodeSheet,
}

impl Scene {
    pub fn name(self) -> &'static str {
        match self {
            Scene::PrintedBadge => "badge",
            Scene::PhoneScreen => "phone",
            Scene::PhoneDarkMode => "phone-dark",
            Scene::CccdCard => "cccd",
            Scene::TwoBadges => "two-badges",
            Scene::CodeSheet => "sheet",
        }
    }
}

/// One generated frame and the texts a decoder must find in it.
#[derive(Debug, Clone)]
pub struct GateFrame {
    /// `NNN-scene`, stable for a given seed and index; used as the PNG file stem.
    pub name: String,
    pub scene: Scene,
    pub luma: GrayImage,
    pub texts: Vec<String>,
}

/// SplitMix64: tiny, fast and fully determined by its seed, which is all a fixture needs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// Approximately normal (Irwin–Hall of four uniforms), enough for sensor noise.
    pub fn normal(&mut self) -> f32 {
        (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.732
    }
}

const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// A badge text of the shape the kiosk issues: `QG1:` and Base45 characters, sized to stay in
/// QR version 7 at level M (122 alphanumeric characters).
pub fn badge_text(rng: &mut Rng) -> String {
    let len = 104 + rng.below(15);
    let mut text = String::from("QG1:");
    text.extend((0..len).map(|_| BASE45[rng.below(BASE45.len())] as char));
    text
}

/// A CCCD QR text: 12-digit ID, old 9-digit ID (sometimes empty), name, birth date, sex,
/// address, issue date, `|`-separated, UTF-8 with Vietnamese diacritics.
pub fn cccd_text(rng: &mut Rng) -> String {
    const FAMILY: [&str; 6] = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ"];
    const MIDDLE: [&str; 5] = ["Văn", "Thị", "Hoàng", "Minh", "Ngọc"];
    const GIVEN: [&str; 6] = ["An", "Bình", "Châu", "Dũng", "Hương", "Tuấn"];
    const STREET: [&str; 5] = ["Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Điện Biên Phủ"];
    const AREA: [&str; 4] = ["Quận 1, TP.HCM", "Thủ Đức, TP.HCM", "Dĩ An, Bình Dương", "Biên Hòa, Đồng Nai"];
    let digits = |rng: &mut Rng, n: usize| (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect::<String>();
    let id = format!("0{}", digits(rng, 11));
    let old = if rng.chance(0.3) { String::new() } else { digits(rng, 9) };
    let name = format!("{} {} {}", FAMILY[rng.below(6)], MIDDLE[rng.below(5)], GIVEN[rng.below(6)]);
    let dob = format!("{:02}{:02}{}", 1 + rng.below(28), 1 + rng.below(12), 1960 + rng.below(45));
    let sex = if rng.chance(0.5) { "Nam" } else { "Nữ" };
    let address = format!("{} {}, {}", 1 + rng.below(300), STREET[rng.below(5)], AREA[rng.below(4)]);
    let issued = format!("{:02}{:02}{}", 1 + rng.below(28), 1 + rng.below(12), 2016 + rng.below(9));
    format!("{id}|{old}|{name}|{dob}|{sex}|{address}|{issued}")
}

/// A QR symbol as a square of dark/light modules.
struct Symbol {
    size: usize,
    dark: Vec<bool>,
}

fn symbol(text: &str) -> Symbol {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).expect("fixture texts fit a QR code");
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Symbol { size: code.width(), dark }
}

impl Symbol {
    /// Whether the point (u, v), in modules from the symbol's top-left corner, is dark.
    fn dark_at(&self, u: f32, v: f32) -> bool {
        if u < 0.0 || v < 0.0 {
            return false;
        }
        let (x, y) = (u as usize, v as usize);
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }
}

/// A planar homography mapping the unit square onto a quadrilateral, and back.
#[derive(Debug, Clone, Copy)]
struct Homography([f32; 9]);

impl Homography {
    /// Unit square (0,0),(1,0),(1,1),(0,1) onto the quad `q` (Heckbert's closed form).
    fn square_to_quad(q: [(f32, f32); 4]) -> Homography {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dy1, dx2, dy2) = (x1 - x2, y1 - y2, x3 - x2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        Homography([x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1.0])
    }

    fn inverse(&self) -> Homography {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        Homography([
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

    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let m = self.0;
        let w = m[6] * x + m[7] * y + m[8];
        ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }
}

/// A flat object held in front of the camera: its size in modules, a shading function in its
/// own coordinates (modules) and the quad it projects to in the frame.
struct Held<'a> {
    width: f32,
    height: f32,
    shade: &'a dyn Fn(f32, f32) -> f32,
    quad: [(f32, f32); 4],
}

/// Projects a width×height rectangle (modules) held at `center` so the QR code area spans
/// about `code_px` pixels, turned by roll/yaw/pitch (radians), with a pinhole camera.
fn project(
    width: f32,
    height: f32,
    center: (f32, f32),
    px_per_module: f32,
    roll: f32,
    yaw: f32,
    pitch: f32,
) -> [(f32, f32); 4] {
    let focal = 1100.0;
    let distance = focal / px_per_module;
    let corners = [
        (-width / 2.0, -height / 2.0),
        (width / 2.0, -height / 2.0),
        (width / 2.0, height / 2.0),
        (-width / 2.0, height / 2.0),
    ];
    corners.map(|(x, y)| {
        let (x, y) = (x * roll.cos() - y * roll.sin(), x * roll.sin() + y * roll.cos());
        let (x, z) = (x * yaw.cos(), x * yaw.sin());
        let (y, z) = (y * pitch.cos(), z + y * pitch.sin());
        let depth = distance + z;
        (center.0 + focal * x / depth, center.1 + focal * y / depth)
    })
}

/// Paints a held object into a gate frame with 2×2 supersampling, which gives printed edges
/// the soft, aliased look of a real sensor.
fn paint(frame: &mut [f32], held: &Held) {
    paint_sized(frame, FRAME_WIDTH as usize, held);
}

/// `paint` into a frame `width` pixels wide, of any height.
fn paint_sized(frame: &mut [f32], width: usize, held: &Held) {
    let height = frame.len() / width;
    let to_frame = Homography::square_to_quad(held.quad);
    let to_object = to_frame.inverse();
    let xs = held.quad.iter().map(|p| p.0);
    let ys = held.quad.iter().map(|p| p.1);
    let x0 = xs.clone().fold(f32::MAX, f32::min).floor().max(0.0) as usize;
    let x1 = (xs.fold(f32::MIN, f32::max).ceil().max(0.0) as usize).min(width - 1);
    let y0 = ys.clone().fold(f32::MAX, f32::min).floor().max(0.0) as usize;
    let y1 = (ys.fold(f32::MIN, f32::max).ceil().max(0.0) as usize).min(height - 1);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (mut sum, mut inside) = (0.0, 0);
            for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = to_object.map(x as f32 + dx, y as f32 + dy);
                if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                    sum += (held.shade)(u * held.width, v * held.height);
                    inside += 1;
                }
            }
            if inside > 0 {
                let i = y * width + x;
                frame[i] = (frame[i] * (4 - inside) as f32 + sum) / 4.0;
            }
        }
    }
}

/// A cluttered gate background: a lit wall, a door frame, a person's dark clothing.
fn background(rng: &mut Rng) -> Vec<f32> {
    let (w, h) = (FRAME_WIDTH as usize, FRAME_HEIGHT as usize);
    let base = rng.range(0.35, 0.7);
    let (gx, gy) = (rng.range(-0.25, 0.25), rng.range(-0.2, 0.2));
    let mut frame: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 / w as f32, (i / w) as f32 / h as f32);
            base + gx * (x - 0.5) + gy * (y - 0.5)
        })
        .collect();
    for _ in 0..6 + rng.below(6) {
        let (rx, ry) = (rng.below(w), rng.below(h));
        let (rw, rh) = (20 + rng.below(300), 20 + rng.below(300));
        let level = rng.range(0.05, 0.95);
        for y in ry..(ry + rh).min(h) {
            for x in rx..(rx + rw).min(w) {
                frame[y * w + x] = level;
            }
        }
    }
    // The person holding the code: dark clothing filling the lower middle.
    let (pc, pr) = (rng.range(0.35, 0.65) * w as f32, rng.range(250.0, 420.0));
    let clothing = rng.range(0.08, 0.3);
    for y in h / 3..h {
        for x in 0..w {
            let dx = (x as f32 - pc) / pr;
            let dy = (y as f32 - h as f32) / (h as f32 * 0.75);
            if dx * dx + dy * dy < 1.0 {
                frame[y * w + x] = clothing;
            }
        }
    }
    frame
}

/// Where and how big a code appears, with its tilt.
struct Pose {
    center: (f32, f32),
    px_per_module: f32,
    roll: f32,
    yaw: f32,
    pitch: f32,
}

fn pose(rng: &mut Rng, px_per_module: (f32, f32), center_x: f32) -> Pose {
    Pose {
        center: (center_x + rng.range(-60.0, 60.0), rng.range(260.0, 470.0)),
        px_per_module: rng.range(px_per_module.0, px_per_module.1),
        roll: rng.range(-0.5, 0.5) + if rng.chance(0.15) { rng.range(-2.8, 2.8) } else { 0.0 },
        yaw: rng.range(-0.6, 0.6),
        pitch: rng.range(-0.5, 0.5),
    }
}

fn printed_badge(frame: &mut [f32], rng: &mut Rng, text: &str, center_x: f32) {
    let sym = symbol(text);
    let n = sym.size as f32;
    let (quiet, header) = (4.0, n * 0.6);
    let (width, height) = (n + 2.0 * quiet, n + 2.0 * quiet + header);
    let paper = rng.range(0.8, 0.97);
    let ink = rng.range(0.04, 0.18);
    // Light falls across the card unevenly; a thumb or a lanyard shadow crosses part of it.
    let (lx, ly) = (rng.range(-0.3, 0.3), rng.range(-0.3, 0.3));
    let shadow =
        if rng.chance(0.3) { Some((rng.range(0.2, 0.8), rng.range(0.35, 0.65), rng.range(-1.0, 1.0))) } else { None };
    let shade = |u: f32, v: f32| {
        let (x, y) = (u / width - 0.5, v / height - 0.5);
        let mut light = 1.0 + lx * x + ly * y;
        if let Some((pos, depth, slope)) = shadow {
            if y - slope * x > pos - 0.5 {
                light *= depth;
            }
        }
        let qv = v - header - quiet;
        let value = if qv >= 0.0 {
            if sym.dark_at(u - quiet, qv) {
                ink
            } else {
                paper
            }
        } else if (2.0..header - 2.0).contains(&v) && ((v as i32) % 5 < 3) && (3.0..width - 3.0).contains(&u) {
            // Name and department lines printed above the code.
            (paper + ink) / 2.0
        } else {
            paper
        };
        value * light
    };
    let p = pose(rng, (2.6, 6.5), center_x);
    let quad = project(width, height, p.center, p.px_per_module, p.roll, p.yaw, p.pitch);
    paint(frame, &Held { width, height, shade: &shade, quad });
}

fn phone_screen(frame: &mut [f32], rng: &mut Rng, text: &str, dark_mode: bool) {
    let sym = symbol(text);
    let n = sym.size as f32;
    let margin = 3.0 + rng.range(0.0, 3.0);
    let (bezel, screen_w) = (1.5, n + 2.0 * margin);
    let screen_h = screen_w * 2.0;
    let (width, height) = (screen_w + 2.0 * bezel, screen_h + 2.0 * bezel);
    let top = (screen_h - n) / 2.0 + rng.range(-n * 0.3, n * 0.3);
    let (light, dark) = if dark_mode {
        (rng.range(0.75, 1.0), rng.range(0.0, 0.08))
    } else {
        (rng.range(0.85, 1.2), rng.range(0.02, 0.12))
    };
    // The camera resolves the screen's sub-pixel grid as moiré; the pitch is a fraction of a
    // module, so it aliases differently at every distance and angle.
    let pitch = rng.range(0.2, 0.45);
    let moire = rng.range(0.05, 0.3);
    // A window or a ceiling lamp reflected on the glass.
    let glare = if rng.chance(0.6) {
        Some((
            rng.range(0.2, 0.8) * screen_w,
            rng.range(0.2, 0.8) * screen_h,
            rng.range(4.0, 14.0),
            rng.range(0.2, 0.8),
        ))
    } else {
        None
    };
    let shade = |u: f32, v: f32| {
        let (su, sv) = (u - bezel, v - bezel);
        if su < 0.0 || sv < 0.0 || su > screen_w || sv > screen_h {
            return 0.04;
        }
        let is_dark = sym.dark_at(su - margin, sv - top);
        let content = if is_dark != dark_mode { dark } else { light };
        let grid = (std::f32::consts::TAU * su / pitch).sin() * (std::f32::consts::TAU * sv / pitch).sin();
        let mut value = content * (1.0 - moire * (0.5 + 0.5 * grid));
        if let Some((gx, gy, r, a)) = glare {
            let d2 = ((su - gx) * (su - gx) + (sv - gy) * (sv - gy)) / (r * r);
            value += a * (-d2).exp();
        }
        value
    };
    let x = rng.range(420.0, 860.0);
    let p = pose(rng, (2.6, 6.0), x);
    let quad = project(width, height, p.center, p.px_per_module, p.roll, p.yaw, p.pitch);
    paint(frame, &Held { width, height, shade: &shade, quad });
}

fn cccd_card(frame: &mut [f32], rng: &mut Rng, text: &str) {
    let sym = symbol(text);
    let n = sym.size as f32;
    // An ID-1 card (85.6 × 54 mm) with the QR code in its top-right corner.
    let height = n * 2.2;
    let width = height * 1.585;
    let (qx, qy) = (width - n - 2.5, 2.5);
    let base = rng.range(0.6, 0.85);
    let ink = rng.range(0.05, 0.2);
    let (f1, f2) = (rng.range(0.8, 1.6), rng.range(0.8, 1.6));
    let shade = |u: f32, v: f32| {
        let (cu, cv) = (u - qx, v - qy);
        if (-1.0..n + 1.0).contains(&cu) && (-1.0..n + 1.0).contains(&cv) {
            return if sym.dark_at(cu, cv) { ink } else { base + 0.1 };
        }
        // Guilloché security print: faint wavy lines.
        let wave = (u * f1 + 3.0 * (v * 0.2).sin()).sin() * (v * f2).cos();
        let photo = u < width * 0.3 && v > height * 0.3 && v < height * 0.9;
        if photo {
            0.35
        } else {
            base - 0.06 * wave
        }
    };
    let x = rng.range(420.0, 860.0);
    let p = pose(rng, (2.2, 4.5), x);
    let quad = project(width, height, p.center, p.px_per_module, p.roll, p.yaw, p.pitch);
    paint(frame, &Held { width, height, shade: &shade, quad });
}

/// Separable Gaussian blur of a gate frame (defocus, hand shake).
fn blur(frame: &mut [f32], sigma: f32) {
    blur_sized(frame, FRAME_WIDTH as usize, sigma);
}

/// `blur` of a frame `width` pixels wide, of any height.
fn blur_sized(frame: &mut [f32], width: usize, sigma: f32) {
    if sigma < 0.3 {
        return;
    }
    let r = (sigma * 2.5).ceil() as i32;
    let kernel: Vec<f32> = (-r..=r).map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let (w, h) = (width as i32, (frame.len() / width) as i32);
    let mut tmp = vec![0f32; frame.len()];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (k, weight) in kernel.iter().enumerate() {
                let xx = (x + k as i32 - r).clamp(0, w - 1);
                s += weight * frame[(y * w + xx) as usize];
            }
            tmp[(y * w + x) as usize] = s;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (k, weight) in kernel.iter().enumerate() {
                let yy = (y + k as i32 - r).clamp(0, h - 1);
                s += weight * tmp[(yy * w + x) as usize];
            }
            frame[(y * w + x) as usize] = s;
        }
    }
}

/// Bright screen light bleeding into its neighbours, as an overexposed phone does.
fn bloom(frame: &mut [f32], strength: f32) {
    let mut glow: Vec<f32> = frame.iter().map(|&v| (v - 0.8).max(0.0)).collect();
    blur(&mut glow, 6.0);
    frame.iter_mut().zip(glow).for_each(|(v, g)| *v += strength * g * 3.0);
}

fn jpeg_roundtrip(luma: GrayImage, quality: u8) -> GrayImage {
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    encoder.encode_image(&luma).expect("encoding to memory cannot fail");
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).expect("own JPEG decodes").to_luma8()
}

/// Frame `index` of the set made from `seed`.
pub fn gate_frame(seed: u64, index: usize) -> GateFrame {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let scene = match index % 10 {
        0..=3 => Scene::PrintedBadge,
        4 | 5 => Scene::PhoneScreen,
        6 => Scene::PhoneDarkMode,
        7 | 8 => Scene::CccdCard,
        _ => Scene::TwoBadges,
    };
    let mut frame = background(&mut rng);
    let mut texts = Vec::new();
    match scene {
        Scene::PrintedBadge => {
            texts.push(badge_text(&mut rng));
            let x = rng.range(400.0, 880.0);
            printed_badge(&mut frame, &mut rng, &texts[0], x);
        }
        Scene::PhoneScreen | Scene::PhoneDarkMode => {
            texts.push(badge_text(&mut rng));
            phone_screen(&mut frame, &mut rng, &texts[0], scene == Scene::PhoneDarkMode);
            if rng.chance(0.5) {
                bloom(&mut frame, rng.range(0.3, 1.0));
            }
        }
        Scene::CccdCard => {
            texts.push(cccd_text(&mut rng));
            cccd_card(&mut frame, &mut rng, &texts[0]);
        }
        Scene::TwoBadges => {
            texts.push(badge_text(&mut rng));
            texts.push(badge_text(&mut rng));
            let (a, b) = (texts[0].clone(), texts[1].clone());
            let (xa, xb) = (rng.range(280.0, 380.0), rng.range(900.0, 1000.0));
            printed_badge(&mut frame, &mut rng, &a, xa);
            printed_badge(&mut frame, &mut rng, &b, xb);
        }
        Scene::CodeSheet => unreachable!("the gate set draws no sheets; code_sheet_frame does"),
    }
    // The camera: exposure (sometimes a dim gate at night), optics, sensor, encoder.
    let exposure = if rng.chance(0.2) { rng.range(0.2, 0.45) } else { rng.range(0.75, 1.15) };
    let sigma = if rng.chance(0.6) { rng.range(0.0, 1.6) } else { 0.0 };
    blur(&mut frame, sigma);
    let noise = rng.range(1.0, 9.0) * if exposure < 0.5 { 1.5 } else { 1.0 };
    let raw = frame
        .iter()
        .map(|&v| {
            let gamma = (v * exposure).max(0.0).powf(1.0 / 1.6) * 255.0;
            (gamma + noise * rng.normal()).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    let mut luma = GrayImage::from_raw(FRAME_WIDTH, FRAME_HEIGHT, raw).expect("sized from constants");
    if rng.chance(0.5) {
        let quality = 30 + rng.below(55) as u8;
        luma = jpeg_roundtrip(luma, quality);
    }
    GateFrame { name: format!("{index:03}-{}", scene.name()), scene, luma, texts }
}

/// A printed badge with `text` held up at the gate in ordinary light, the scene drawn from
/// `seed`: replay frames for end-to-end tests and demos, where the text must be a real signed
/// badge rather than a random one.
pub fn held_badge_frame(seed: u64, text: &str) -> GrayImage {
    let mut rng = Rng::new(seed);
    let mut frame = background(&mut rng);
    printed_badge(&mut frame, &mut rng, text, FRAME_WIDTH as f32 / 2.0);
    expose(frame, &mut rng)
}

/// A phone showing the badge `text` (light theme, or dark mode) held up at the gate, the scene
/// drawn from `seed`.
pub fn held_phone_frame(seed: u64, text: &str, dark_mode: bool) -> GrayImage {
    let mut rng = Rng::new(seed);
    let mut frame = background(&mut rng);
    phone_screen(&mut frame, &mut rng, text, dark_mode);
    expose(frame, &mut rng)
}

/// A visitor's citizen-ID card whose QR code holds `text`, held up at the gate, the scene drawn
/// from `seed`.
pub fn held_card_frame(seed: u64, text: &str) -> GrayImage {
    let mut rng = Rng::new(seed);
    let mut frame = background(&mut rng);
    cccd_card(&mut frame, &mut rng, text);
    expose(frame, &mut rng)
}

/// The gate with nobody holding up a code, the scene drawn from `seed`.
pub fn empty_gate_frame(seed: u64) -> GrayImage {
    let mut rng = Rng::new(seed);
    let frame = background(&mut rng);
    expose(frame, &mut rng)
}

/// A sheet of `count` printed badge codes (a clipboard of visitor passes, a page of badges to
/// hand out) photographed whole by a `width`×`height` phone camera, slightly turned and tilted,
/// with uneven light, blur, noise and JPEG: many codes and many pixels in one frame, which is
/// what the decoder's time bound and its reading of every code are measured on. Every code
/// carries its own text.
pub fn code_sheet_frame(seed: u64, width: u32, height: u32, count: usize) -> GateFrame {
    let mut rng = Rng::new(seed);
    let texts: Vec<String> = (0..count).map(|_| badge_text(&mut rng)).collect();
    let mut frame = sheet_of(&mut rng, width, height, texts, 0.0);
    frame.name = format!("sheet-{count}-{width}x{height}");
    frame
}

/// A new citizen-ID card's QR text: the old card's fields and the family's names and ids,
/// hundreds of bytes of UTF-8, so a version 18 to 25 symbol (a dense code).
pub fn dense_cccd_text(rng: &mut Rng) -> String {
    let text = cccd_text(rng);
    let members = 10 + rng.below(8);
    with_members(rng, text, members)
}

/// A citizen-ID text carrying a whole household (a card holder's dependants and the people
/// registered at their address): 1,100 to 2,300 bytes, a version 26 to 40 symbol at level M,
/// the densest a QR code gets (version 40 holds 2,331 bytes).
pub fn household_cccd_text(rng: &mut Rng) -> String {
    let budget = 1100 + rng.below(1200);
    let mut text = cccd_text(rng);
    loop {
        let member = with_members(rng, String::new(), 1);
        if text.len() + member.len() > budget {
            return text;
        }
        text.push_str(&member);
    }
}

/// `text` with `members` people's id, name and birth date appended.
fn with_members(rng: &mut Rng, mut text: String, members: usize) -> String {
    for _ in 0..members {
        let member = cccd_text(rng);
        let fields: Vec<&str> = member.split('|').collect();
        text.push_str(&format!("|{}|{}|{}", fields[0], fields[2], fields[3]));
    }
    text
}

/// `count` dense citizen-ID codes (`dense_cccd_text`) on a sheet photographed whole, as
/// `code_sheet_frame` draws it: a visitor's card held close, or a desk of them.
pub fn dense_sheet_frame(seed: u64, width: u32, height: u32, count: usize) -> GateFrame {
    let mut rng = Rng::new(seed);
    let texts: Vec<String> = (0..count).map(|_| dense_cccd_text(&mut rng)).collect();
    let mut frame = sheet_of(&mut rng, width, height, texts, 0.0);
    frame.name = format!("dense-{count}-{width}x{height}");
    frame
}

/// `count` household codes (`household_cccd_text`, versions 28 to 40) on a sheet photographed
/// whole, as `code_sheet_frame` draws it.
pub fn household_sheet_frame(seed: u64, width: u32, height: u32, count: usize) -> GateFrame {
    let mut rng = Rng::new(seed);
    let texts: Vec<String> = (0..count).map(|_| household_cccd_text(&mut rng)).collect();
    let mut frame = sheet_of(&mut rng, width, height, texts, 0.0);
    frame.name = format!("household-{count}-{width}x{height}");
    frame
}

/// One household code (`household_cccd_text`) on a page bent like a card in a wallet or a
/// sheet lifted at its middle: its rows sag by up to `bend` modules halfway across, which no
/// single perspective follows.
pub fn bent_card_frame(seed: u64, width: u32, height: u32, bend: f32) -> GateFrame {
    let mut rng = Rng::new(seed);
    let texts = vec![household_cccd_text(&mut rng)];
    let mut frame = sheet_of(&mut rng, width, height, texts, bend);
    frame.name = format!("bent-{bend}-{width}x{height}");
    frame
}

/// `message` split over `parts` symbols joined by structured append, each symbol's stream
/// opening with the header (its place, the count, the parity of the whole message) and then its
/// share of the bytes in byte mode, at level M in the smallest version that holds it. Each is
/// row-major modules, `true` = dark, with its side.
pub fn structured_append_symbols(message: &[u8], parts: usize) -> Vec<(Vec<bool>, usize)> {
    let parts = parts.clamp(1, 16);
    let parity = message.iter().fold(0u8, |p, b| p ^ b);
    let share = message.len().div_ceil(parts).max(1);
    message
        .chunks(share)
        .enumerate()
        .map(|(index, bytes)| {
            let symbol = appended_part(bytes, index as u8, parts as u8, parity);
            (symbol.dark, symbol.size)
        })
        .collect()
}

/// One symbol of a structured-append sequence: the qrcode crate writes no such header, so the
/// data codewords are laid out here and the crate adds error correction, patterns and mask.
fn appended_part(bytes: &[u8], index: u8, total: u8, parity: u8) -> Symbol {
    let push =
        |bits: &mut Vec<bool>, value: usize, width: usize| bits.extend((0..width).rev().map(|i| value >> i & 1 == 1));
    for version in 1..=40i16 {
        let qr_version = qrcode::Version::Normal(version);
        let capacity = qrcode::bits::Bits::new(qr_version).max_len(EcLevel::M).expect("every version has level M");
        let count_width = if version < 10 { 8 } else { 16 };
        let mut bits = Vec::new();
        push(&mut bits, 0b0011, 4);
        push(&mut bits, index as usize, 4);
        push(&mut bits, total as usize - 1, 4);
        push(&mut bits, parity as usize, 8);
        push(&mut bits, 0b0100, 4);
        push(&mut bits, bytes.len(), count_width);
        bytes.iter().for_each(|&b| push(&mut bits, b as usize, 8));
        if bits.len() > capacity {
            continue;
        }
        let terminator = (capacity - bits.len()).min(4);
        push(&mut bits, 0, terminator);
        let to_byte = (8 - bits.len() % 8) % 8;
        push(&mut bits, 0, to_byte);
        let mut data: Vec<u8> = bits.chunks(8).map(|c| c.iter().fold(0u8, |b, &bit| b << 1 | u8::from(bit))).collect();
        let pad = [0xec, 0x11];
        let fill = capacity / 8 - data.len();
        data.extend((0..fill).map(|i| pad[i % 2]));
        let (data, ec) = qrcode::ec::construct_codewords(&data, qr_version, EcLevel::M).expect("sized to the version");
        let mut canvas = qrcode::canvas::Canvas::new(qr_version, EcLevel::M);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        let dark = canvas.apply_best_mask().into_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        return Symbol { size: version as usize * 4 + 17, dark };
    }
    panic!("a structured-append part of {} bytes fits no version", bytes.len());
}

/// `message` over `parts` structured-append symbols printed side by side on one sheet (a
/// document too long for one code, as a phone app splits it), photographed whole as
/// `code_sheet_frame` draws it. The expected text is the whole message.
pub fn appended_sheet_frame(seed: u64, width: u32, height: u32, message: &str, parts: usize) -> GateFrame {
    let mut rng = Rng::new(seed);
    let symbols = structured_append_symbols(message.as_bytes(), parts)
        .into_iter()
        .map(|(dark, size)| Symbol { size, dark })
        .collect();
    let mut frame = sheet_of_symbols(&mut rng, width, height, symbols, vec![message.to_string()], 0.0);
    frame.name = format!("appended-{parts}-{width}x{height}");
    frame
}

/// A dim room photographed by a phone at `width`×`height` (12 MP at 4032×3024): `count` badges
/// pinned about a dark board, each code two to four pixels a module, under a fifth to a tenth of
/// a well-lit scene's light, so the sensor's noise is a large share of the codes' contrast, then
/// JPEG. The frame the decoder meets when someone photographs a noticeboard of passes at dusk.
pub fn dim_photo_frame(seed: u64, width: u32, height: u32, count: usize) -> GateFrame {
    let mut rng = Rng::new(seed);
    let (w, h) = (width as usize, height as usize);
    let mut frame: Vec<f32> = vec![rng.range(0.15, 0.35); w * h];
    let mut texts = Vec::new();
    // One cell of a loose grid per badge, so no two overlap; the badge sits anywhere in it.
    let cols = ((count as f32 * width as f32 / height as f32).sqrt().ceil() as usize).max(1);
    let rows = count.div_ceil(cols).max(1);
    let (cell_w, cell_h) = (width as f32 / cols as f32, height as f32 / rows as f32);
    for i in 0..count {
        let text = badge_text(&mut rng);
        let code = symbol(&text);
        let module = rng.range(2.0, 4.0);
        let card = code.size as f32 + 8.0;
        let span = card * module * 1.2;
        let (c, r) = ((i % cols) as f32, (i / cols) as f32);
        let cx = c * cell_w + span / 2.0 + rng.unit() * (cell_w - span).max(0.0);
        let cy = r * cell_h + span / 2.0 + rng.unit() * (cell_h - span).max(0.0);
        let (paper, ink) = (rng.range(0.7, 0.95), rng.range(0.05, 0.2));
        let shade = |u: f32, v: f32| if code.dark_at(u - 4.0, v - 4.0) { ink } else { paper };
        let roll = rng.range(-0.6, 0.6);
        let quad = project(card, card, (cx, cy), module, roll, rng.range(-0.4, 0.4), rng.range(-0.3, 0.3));
        paint_sized(&mut frame, w, &Held { width: card, height: card, shade: &shade, quad });
        texts.push(text);
    }
    blur_sized(&mut frame, w, rng.range(0.6, 1.0));
    // Little light: the scene reaches a tenth to a fifth of full scale before the camera's
    // gamma, and the noise is the sensor's, not scaled with it.
    let exposure = rng.range(0.1, 0.2);
    let noise = rng.range(2.0, 4.0);
    let raw = frame
        .iter()
        .map(|&v| {
            ((v * exposure).max(0.0).powf(1.0 / 1.6) * 255.0 + noise * rng.normal()).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    let luma = GrayImage::from_raw(width, height, raw).expect("sized from the arguments");
    let luma = jpeg_roundtrip(luma, 70 + rng.below(20) as u8);
    GateFrame { name: format!("dim-{count}-{width}x{height}"), scene: Scene::CodeSheet, luma, texts }
}

/// A designed code as shops and apps print them: light modules on a dark ground, level H, a
/// logo over the middle (a light rounded tile with a dark mark, a tenth of the code's area),
/// on a poster or a phone held at a gate camera, `module` pixels a module, turned and tilted,
/// then blur, noise and JPEG.
pub fn inverted_logo_frame(seed: u64, width: u32, height: u32, module: f32) -> GateFrame {
    let mut rng = Rng::new(seed);
    let (w, h) = (width as usize, height as usize);
    let mut frame: Vec<f32> = (0..w * h).map(|i| 0.4 + 0.2 * ((i % w) as f32 / w as f32)).collect();
    let text = badge_text(&mut rng);
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::H).expect("badge texts fit level H");
    let n = code.width();
    let dark: Vec<bool> = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    let code = Symbol { size: n, dark };
    let (ground, light) = (rng.range(0.02, 0.12), rng.range(0.75, 0.95));
    let logo = n as f32 * rng.range(0.26, 0.32) / 2.0;
    let centre = n as f32 / 2.0 + 4.0;
    // Printed light on dark: the symbol's dark modules are the bright ones, its light modules
    // and quiet zone the ground.
    let shade = |u: f32, v: f32| {
        let (du, dv) = ((u - centre).abs(), (v - centre).abs());
        if du < logo && dv < logo {
            // A rounded tile with a ring and a bar for the brand's mark.
            let rounded = (du - logo + 1.5).max(0.0).hypot((dv - logo + 1.5).max(0.0)) > 1.5;
            let r = du.hypot(dv) / logo;
            let mark = (0.45..0.7).contains(&r) || (dv < logo * 0.12 && du < logo * 0.8);
            if rounded {
                ground
            } else if mark {
                ground + 0.1
            } else {
                light
            }
        } else if code.dark_at(u - 4.0, v - 4.0) {
            light
        } else {
            ground
        }
    };
    let card = n as f32 + 8.0;
    let centre_px = (width as f32 * rng.range(0.35, 0.65), height as f32 * rng.range(0.35, 0.65));
    let quad =
        project(card, card, centre_px, module, rng.range(-0.5, 0.5), rng.range(-0.35, 0.35), rng.range(-0.3, 0.3));
    paint_sized(&mut frame, w, &Held { width: card, height: card, shade: &shade, quad });
    blur_sized(&mut frame, w, rng.range(0.5, 1.1));
    let noise = rng.range(1.0, 4.0);
    let raw = frame
        .iter()
        .map(|&v| (v.max(0.0).powf(1.0 / 1.6) * 255.0 + noise * rng.normal()).round().clamp(0.0, 255.0) as u8)
        .collect();
    let luma = GrayImage::from_raw(width, height, raw).expect("sized from the arguments");
    let luma = jpeg_roundtrip(luma, 65 + rng.below(25) as u8);
    GateFrame {
        name: format!("inverted-logo-{seed}-{width}x{height}"),
        scene: Scene::PhoneDarkMode,
        luma,
        texts: vec![text],
    }
}

/// `texts` as codes on a sheet photographed whole; the sheet's rows sag by `bend` modules at its
/// middle.
fn sheet_of(rng: &mut Rng, width: u32, height: u32, texts: Vec<String>, bend: f32) -> GateFrame {
    let symbols: Vec<Symbol> = texts.iter().map(|t| symbol(t)).collect();
    sheet_of_symbols(rng, width, height, symbols, texts, bend)
}

/// `symbols` on a sheet photographed whole, to be read as `texts`.
fn sheet_of_symbols(
    rng: &mut Rng,
    width: u32,
    height: u32,
    symbols: Vec<Symbol>,
    texts: Vec<String>,
    bend: f32,
) -> GateFrame {
    let count = symbols.len();
    let (w, h) = (width as usize, height as usize);
    let n = symbols.iter().map(|s| s.size).max().unwrap_or(21) as f32;
    // Columns and rows in the frame's proportions; each cell is a code and its quiet zone.
    let cols = ((count as f32 * width as f32 / height as f32).sqrt().ceil() as usize).max(1);
    let rows = count.div_ceil(cols).max(1);
    let cell = n + 8.0;
    let (sheet_w, sheet_h) = (cols as f32 * cell + 4.0, rows as f32 * cell + 4.0);
    let paper = rng.range(0.75, 0.95);
    let ink = rng.range(0.05, 0.2);
    let (lx, ly) = (rng.range(-0.4, 0.4), rng.range(-0.4, 0.4));
    let shade = |u: f32, v: f32| {
        let v = v - bend * (std::f32::consts::PI * u / sheet_w).sin();
        let (cu, cv) = ((u - 2.0) / cell, (v - 2.0) / cell);
        let (c, r) = (cu.max(0.0) as usize, cv.max(0.0) as usize);
        let i = r * cols + c;
        let dark = cu >= 0.0
            && cv >= 0.0
            && c < cols
            && i < symbols.len()
            && symbols[i].dark_at((cu - c as f32) * cell - 4.0, (cv - r as f32) * cell - 4.0);
        let light = 1.0 + lx * (u / sheet_w - 0.5) + ly * (v / sheet_h - 0.5);
        (if dark { ink } else { paper }) * light
    };
    // The sheet fills most of the frame, its corners pulled about by the camera's tilt.
    let scale = (width as f32 * 0.9 / sheet_w).min(height as f32 * 0.9 / sheet_h);
    let (cx, cy, hw, hh) = (width as f32 / 2.0, height as f32 / 2.0, sheet_w * scale / 2.0, sheet_h * scale / 2.0);
    let jitter = scale * 3.0;
    let mut corner = |x: f32, y: f32| (x + rng.range(-jitter, jitter), y + rng.range(-jitter, jitter));
    let quad = [corner(cx - hw, cy - hh), corner(cx + hw, cy - hh), corner(cx + hw, cy + hh), corner(cx - hw, cy + hh)];
    let mut frame = vec![rng.range(0.2, 0.5); w * h];
    paint_sized(&mut frame, w, &Held { width: sheet_w, height: sheet_h, shade: &shade, quad });
    blur_sized(&mut frame, w, rng.range(0.5, 1.2));
    let noise = rng.range(1.0, 5.0);
    let raw = frame
        .iter()
        .map(|&v| (v.max(0.0).powf(1.0 / 1.6) * 255.0 + noise * rng.normal()).round().clamp(0.0, 255.0) as u8)
        .collect();
    let luma = GrayImage::from_raw(width, height, raw).expect("sized from the arguments");
    let luma = jpeg_roundtrip(luma, 60 + rng.below(30) as u8);
    GateFrame { name: String::new(), scene: Scene::CodeSheet, luma, texts }
}

/// A well-exposed camera: slight defocus, gamma and mild sensor noise, no compression.
fn expose(mut frame: Vec<f32>, rng: &mut Rng) -> GrayImage {
    blur(&mut frame, 0.6);
    let raw = frame
        .iter()
        .map(|&v| (v.max(0.0).powf(1.0 / 1.6) * 255.0 + 2.0 * rng.normal()).round().clamp(0.0, 255.0) as u8)
        .collect();
    GrayImage::from_raw(FRAME_WIDTH, FRAME_HEIGHT, raw).expect("sized from constants")
}

/// The first `count` frames of the set made from `seed`.
pub fn gate_frames(seed: u64, count: usize) -> impl Iterator<Item = GateFrame> {
    (0..count).map(move |i| gate_frame(seed, i))
}

/// Writes frames as `<name>.png` with the expected texts in `<name>.txt` (one a line), the same
/// layout as the ZXing corpus, so the benchmark, peers and replay demos read them alike.
pub fn write_gate_frames(dir: &Path, seed: u64, count: usize) -> Result<usize, Error> {
    let write_err =
        |path: &Path, e: &dyn std::fmt::Display| Error::Write { path: path.to_path_buf(), reason: e.to_string() };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, &e))?;
    let mut written = 0;
    for frame in gate_frames(seed, count) {
        let png = dir.join(format!("{}.png", frame.name));
        frame.luma.save(&png).map_err(|e| write_err(&png, &e))?;
        let txt = dir.join(format!("{}.txt", frame.name));
        std::fs::write(&txt, frame.texts.join("\n")).map_err(|e| write_err(&txt, &e))?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_frame_other_seed_other_frame() {
        let a = gate_frame(7, 3);
        let b = gate_frame(7, 3);
        let c = gate_frame(8, 3);
        assert_eq!(a.luma.as_raw(), b.luma.as_raw());
        assert_eq!(a.texts, b.texts);
        assert_ne!(a.texts, c.texts);
        assert_eq!(a.luma.dimensions(), (FRAME_WIDTH, FRAME_HEIGHT));
    }

    #[test]
    fn badge_texts_fit_version_7_m_and_cccd_has_seven_fields() {
        let mut rng = Rng::new(1);
        for _ in 0..20 {
            let badge = badge_text(&mut rng);
            assert!(badge.starts_with("QG1:"));
            let code = QrCode::with_error_correction_level(badge.as_bytes(), EcLevel::M).unwrap();
            assert!(code.width() <= 45, "version above 7: {} modules", code.width());
            let cccd = cccd_text(&mut rng);
            assert_eq!(cccd.split('|').count(), 7);
        }
    }

    #[test]
    fn homography_maps_corners_and_back() {
        let quad = [(10.0, 20.0), (110.0, 30.0), (120.0, 140.0), (5.0, 120.0)];
        let h = Homography::square_to_quad(quad);
        for ((u, v), (x, y)) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)].into_iter().zip(quad) {
            let (px, py) = h.map(u, v);
            assert!((px - x).abs() < 1e-3 && (py - y).abs() < 1e-3);
            let (bu, bv) = h.inverse().map(x, y);
            assert!((bu - u).abs() < 1e-4 && (bv - v).abs() < 1e-4);
        }
    }
}
