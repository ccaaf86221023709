//! Badges on paper and on phones: an A4 PDF sheet of cut-out cards and one PNG per person.
//!
//! Text uses the DejaVu Sans shipped in assets/fonts, which has every Vietnamese letter
//! precomposed; names are NFC-normalised on import so each letter is one glyph.

use std::path::Path;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use printpdf::path::{PaintMode, WindingOrder};
use printpdf::{Color, IndirectFontRef, Line, Mm, PdfDocument, PdfLayerReference, Point, Polygon, Rgb};
use qrcode::{EcLevel, QrCode, Version};

use crate::error::{Error, Result};

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// What one badge shows.
#[derive(Debug, Clone)]
pub struct BadgeCard {
    pub enterprise_name: String,
    pub full_name: String,
    pub code: String,
    pub department: String,
    /// The signed `QG1:` text the QR carries.
    pub text: String,
}

/// The QR of a badge text, refusing anything over version 7 so printed badges stay readable.
pub fn badge_qr(text: &str) -> Result<QrCode> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Render { what: "QR code", why: e.to_string() })?;
    match code.version() {
        Version::Normal(v) if v <= 7 => Ok(code),
        v => Err(Error::Render { what: "QR code", why: format!("needs {v:?}, more than version 7") }),
    }
}

// A4 portrait, ten ID-1 cards (85.6 × 54 mm) a page.
const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const CARD_W: f32 = 85.6;
const CARD_H: f32 = 54.0;
const GAP: f32 = 3.0;
const COLS: usize = 2;
const ROWS: usize = 5;
const QR_SIZE: f32 = 34.0;
const QUIET: usize = 4;
const PT_TO_MM: f32 = 0.352_778;

struct Fonts {
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    measure_regular: FontRef<'static>,
    measure_bold: FontRef<'static>,
}

impl Fonts {
    fn width_mm(&self, text: &str, size_pt: f32, bold: bool) -> f32 {
        let font = if bold { &self.measure_bold } else { &self.measure_regular };
        let scaled = font.as_scaled(PxScale::from(font.units_per_em().unwrap_or(2048.0)));
        let units: f32 = text.chars().map(|c| scaled.h_advance(font.glyph_id(c))).sum();
        units / font.units_per_em().unwrap_or(2048.0) * size_pt * PT_TO_MM
    }
}

/// Writes the printable sheet. The file appears whole or not at all.
pub fn badge_sheet_pdf(cards: &[BadgeCard], title: &str, path: &Path) -> Result<()> {
    if cards.is_empty() {
        return Err(Error::EmptySelection);
    }
    let render = |why: printpdf::Error| Error::Render { what: "badge sheet", why: why.to_string() };
    let (doc, page, layer) = PdfDocument::new(title, Mm(PAGE_W), Mm(PAGE_H), "badges");
    let fonts = Fonts {
        regular: doc.add_external_font(FONT).map_err(render)?,
        bold: doc.add_external_font(FONT_BOLD).map_err(render)?,
        measure_regular: FontRef::try_from_slice(FONT).expect("shipped font parses"),
        measure_bold: FontRef::try_from_slice(FONT_BOLD).expect("shipped font parses"),
    };
    let left = (PAGE_W - COLS as f32 * CARD_W - (COLS - 1) as f32 * GAP) / 2.0;
    let top = PAGE_H - (PAGE_H - ROWS as f32 * CARD_H - (ROWS - 1) as f32 * GAP) / 2.0;
    let mut layer = doc.get_page(page).get_layer(layer);
    for (i, card) in cards.iter().enumerate() {
        let slot = i % (COLS * ROWS);
        if i > 0 && slot == 0 {
            let (p, l) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "badges");
            layer = doc.get_page(p).get_layer(l);
        }
        let x = left + (slot % COLS) as f32 * (CARD_W + GAP);
        let y = top - (slot / COLS + 1) as f32 * CARD_H - (slot / COLS) as f32 * GAP;
        draw_card(&layer, &fonts, card, x, y)?;
    }
    // Rendered whole in memory first, so every write error is an I/O error on the file (a
    // BufWriter drops the error of its last flush), and written to a temporary sibling that is
    // deleted on any failure: a full disk leaves no half sheet behind.
    let bytes = doc.save_to_bytes().map_err(render)?;
    write_whole(path, &bytes)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file in the same directory, synced,
/// then renamed over `path`; on failure the temporary file is removed (tempfile's drop).
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".qrgate-badges-").suffix(".part").tempfile_in(dir).map_err(|e| {
        // The temporary name means nothing to the person; say which directory refused.
        let why =
            e.raw_os_error().map_or_else(|| e.kind().to_string(), |c| std::io::Error::from_raw_os_error(c).to_string());
        Error::io(path)(std::io::Error::new(e.kind(), format!("cannot create a file in {}: {why}", dir.display())))
    })?;
    // Through the plain file: tempfile's own writer names its temporary file in errors, and the
    // person knows only `path`.
    let file = tmp.as_file_mut();
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(Error::io(path))?;
    tmp.persist(path).map_err(|e| Error::io(path)(e.error))?;
    Ok(())
}

fn rect(layer: &PdfLayerReference, x: f32, y: f32, w: f32, h: f32) {
    let p = |a: f32, b: f32| (Point::new(Mm(a), Mm(b)), false);
    layer.add_polygon(Polygon {
        rings: vec![vec![p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h)]],
        mode: PaintMode::Fill,
        winding_order: WindingOrder::NonZero,
    });
}

fn gray(level: f32) -> Color {
    Color::Rgb(Rgb::new(level, level, level, None))
}

/// Shrinks the font until the text fits, down to a floor; past the floor the text is cut with "…".
fn fit(fonts: &Fonts, text: &str, max_mm: f32, size: f32, min: f32, bold: bool) -> (String, f32) {
    let mut s = size;
    while s > min && fonts.width_mm(text, s, bold) > max_mm {
        s -= 0.5;
    }
    if fonts.width_mm(text, s, bold) <= max_mm {
        return (text.to_string(), s);
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && fonts.width_mm(&format!("{cut}…"), s, bold) > max_mm {
        cut.pop();
    }
    (format!("{}…", cut.trim_end()), s)
}

/// Splits a name over at most two lines at a space, so long Vietnamese names stay large.
fn name_lines(fonts: &Fonts, name: &str, max_mm: f32, size: f32) -> Vec<String> {
    if fonts.width_mm(name, size, true) <= max_mm {
        return vec![name.to_string()];
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    for split in (1..words.len()).rev() {
        let first = words[..split].join(" ");
        if fonts.width_mm(&first, size, true) <= max_mm {
            return vec![first, words[split..].join(" ")];
        }
    }
    vec![name.to_string()]
}

fn draw_card(layer: &PdfLayerReference, fonts: &Fonts, card: &BadgeCard, x: f32, y: f32) -> Result<()> {
    // Cut line.
    layer.set_outline_color(gray(0.6));
    layer.set_outline_thickness(0.4);
    let p = |a: f32, b: f32| (Point::new(Mm(a), Mm(b)), false);
    layer.add_line(Line {
        points: vec![p(x, y), p(x + CARD_W, y), p(x + CARD_W, y + CARD_H), p(x, y + CARD_H)],
        is_closed: true,
    });
    // Header band with the enterprise name.
    layer.set_fill_color(gray(0.15));
    rect(layer, x, y + CARD_H - 8.0, CARD_W, 8.0);
    layer.set_fill_color(gray(1.0));
    let (header, size) = fit(fonts, &card.enterprise_name, CARD_W - 6.0, 9.0, 6.0, true);
    layer.use_text(header, size, Mm(x + 3.0), Mm(y + CARD_H - 5.6), &fonts.bold);

    // The QR, dark modules merged into runs per row.
    let qr = badge_qr(&card.text)?;
    let width = qr.width();
    let module = QR_SIZE / (width + 2 * QUIET) as f32;
    let qx = x + 2.0 + QUIET as f32 * module;
    let qy = y + 3.0 + QUIET as f32 * module;
    let colors = qr.to_colors();
    layer.set_fill_color(gray(0.0));
    for row in 0..width {
        let mut col = 0;
        while col < width {
            if colors[row * width + col] == qrcode::Color::Dark {
                let start = col;
                while col < width && colors[row * width + col] == qrcode::Color::Dark {
                    col += 1;
                }
                let top = qy + (width - row) as f32 * module;
                // A hair of overlap so no white seams show between runs when printed.
                rect(
                    layer,
                    qx + start as f32 * module,
                    top - module - 0.01,
                    (col - start) as f32 * module + 0.01,
                    module + 0.02,
                );
            } else {
                col += 1;
            }
        }
    }

    // Name, code, department to the right of the QR.
    let tx = x + 2.0 + QR_SIZE + 1.0;
    let text_w = x + CARD_W - 3.0 - tx;
    let mut ty = y + CARD_H - 15.5;
    let name_size = 12.0;
    let lines = name_lines(fonts, &card.full_name, text_w, name_size);
    for line in &lines {
        let (line, size) = fit(fonts, line, text_w, name_size, 7.0, true);
        layer.use_text(line, size, Mm(tx), Mm(ty), &fonts.bold);
        ty -= 5.5;
    }
    ty -= 2.0;
    layer.set_fill_color(gray(0.2));
    let (code, size) = fit(fonts, &format!("Mã NV: {}", card.code), text_w, 10.0, 6.0, false);
    layer.use_text(code, size, Mm(tx), Mm(ty), &fonts.regular);
    ty -= 5.0;
    if !card.department.is_empty() {
        let (dep, size) = fit(fonts, &format!("Bộ phận: {}", card.department), text_w, 9.0, 6.0, false);
        layer.use_text(dep, size, Mm(tx), Mm(ty), &fonts.regular);
    }
    Ok(())
}

/// A PNG for a phone: the QR large, the person's name and code under it.
pub fn badge_png(card: &BadgeCard) -> Result<Vec<u8>> {
    let qr = badge_qr(&card.text)?;
    let scale = 10u32;
    let width = qr.width() as u32;
    let side = (width + 2 * QUIET as u32) * scale;
    let text_h = 120u32;
    let mut img = GrayImage::from_pixel(side, side + text_h, Luma([255]));
    let colors = qr.to_colors();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % width, i as u32 / width);
            for dy in 0..scale {
                for dx in 0..scale {
                    img.put_pixel((mx + QUIET as u32) * scale + dx, (my + QUIET as u32) * scale + dy, Luma([0]));
                }
            }
        }
    }
    let bold = FontRef::try_from_slice(FONT_BOLD).expect("shipped font parses");
    let regular = FontRef::try_from_slice(FONT).expect("shipped font parses");
    draw_text_centered(&mut img, &bold, &card.full_name, 38.0, side - 10);
    draw_text_centered(&mut img, &regular, &format!("{} · {}", card.code, card.department), 28.0, side + 45);
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| Error::Render { what: "badge PNG", why: e.to_string() })?;
    Ok(out)
}

fn draw_text_centered(img: &mut GrayImage, font: &FontRef<'_>, text: &str, px: f32, top: u32) {
    let scaled = font.as_scaled(PxScale::from(px));
    let mut size = px;
    let mut width: f32 = text.chars().map(|c| scaled.h_advance(font.glyph_id(c))).sum();
    let max = img.width() as f32 - 20.0;
    if width > max {
        size = px * max / width;
        width = max;
    }
    let scaled = font.as_scaled(PxScale::from(size));
    let mut x = (img.width() as f32 - width) / 2.0;
    let baseline = top as f32 + scaled.ascent();
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(PxScale::from(size), ab_glyph::point(x, baseline));
        x += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i32 + gx as i32;
                let py = bounds.min.y as i32 + gy as i32;
                if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                    let p = img.get_pixel_mut(px as u32, py as u32);
                    let v = f32::from(p.0[0]) * (1.0 - coverage);
                    p.0[0] = v.round().clamp(0.0, 255.0) as u8;
                }
            });
        }
    }
}

/// Which workers get a badge.
#[derive(Debug, Clone)]
pub enum Selection {
    All,
    Department(String),
    Employee(qrgate_core::model::EmployeeCode),
}

/// Signs a badge for each selected active worker (serial 1 for those who never had one, the
/// current serial for the rest) and returns what to print. Inactive workers get none.
pub fn issue(
    store: &mut qrgate_core::store::Store,
    key: &qrgate_core::badge::BadgeSigningKey,
    selection: &Selection,
    today: chrono::NaiveDate,
    expires: Option<chrono::NaiveDate>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<BadgeCard>> {
    if key.enterprise != store.identity().enterprise {
        return Err(Error::invalid(
            "badge signing key",
            format!("it is enterprise {}'s, this kiosk is {}'s", key.enterprise, store.identity().enterprise),
        ));
    }
    let workers = match selection {
        Selection::All => store.workers(None, None)?,
        Selection::Department(d) => store.workers(Some(d), None)?,
        Selection::Employee(code) => {
            let found = store.workers(None, Some(code))?;
            if found.is_empty() {
                return Err(qrgate_core::Error::UnknownEmployee(code.to_string()).into());
            }
            found
        }
    };
    let active: Vec<_> = workers.into_iter().filter(|w| w.active).collect();
    if active.is_empty() {
        return Err(Error::EmptySelection);
    }
    let workers = store.issue_badges(&active, now)?;
    let enterprise_name = store.identity().enterprise_name.clone();
    workers
        .into_iter()
        .map(|w| {
            let badge = qrgate_core::badge::Badge {
                key_id: key.key_id,
                enterprise: key.enterprise.clone(),
                employee: w.code.clone(),
                serial: w.badge_serial,
                issued: today,
                expires,
            };
            Ok(BadgeCard {
                enterprise_name: enterprise_name.clone(),
                full_name: w.full_name,
                code: w.code.to_string(),
                department: w.department,
                text: badge.sign(key)?,
            })
        })
        .collect()
}
