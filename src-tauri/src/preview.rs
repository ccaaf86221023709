//! The `kiosk://` scheme the screen loads from: the camera preview (the latest frame, halved and
//! sent as an uncompressed 8-bit BMP that WebKit draws without a decoder worth the name) and the
//! guard screen's sounds from assets/.
//!
//! The frame loop only hands its frame over; the work of scaling and encoding happens here, on
//! the screen's request, and only as often as the screen asks (15 times a second).

use std::borrow::Cow;
use std::sync::Mutex;

use image::GrayImage;
use tauri::http::Response;

/// The newest frame, replaced by each one the loop finishes with.
#[derive(Default)]
pub struct Preview {
    latest: Mutex<Option<GrayImage>>,
}

/// Widest preview sent to the screen: enough for a guard to see a badge is held up.
const WIDEST: u32 = 640;

impl Preview {
    pub fn offer(&self, frame: GrayImage) {
        *self.latest.lock().expect("preview lock") = Some(frame);
    }

    /// The newest frame as a BMP no wider than [`WIDEST`], or None before the first frame.
    pub fn bmp(&self) -> Option<Vec<u8>> {
        let frame = self.latest.lock().expect("preview lock").take()?;
        let small = halve_until(frame, WIDEST);
        let bmp = bmp_gray(&small);
        // Kept for the next request when no newer frame has come in by then.
        self.latest.lock().expect("preview lock").get_or_insert(small);
        Some(bmp)
    }
}

/// Halves (2×2 mean) until the image is at most `widest` wide.
fn halve_until(mut img: GrayImage, widest: u32) -> GrayImage {
    while img.width() > widest && img.height() >= 2 {
        let (w, h) = (img.width() / 2, img.height() / 2);
        let src = img.as_raw();
        let stride = img.width() as usize;
        let mut out = Vec::with_capacity((w * h) as usize);
        for y in 0..h as usize {
            let (a, b) = (&src[2 * y * stride..], &src[(2 * y + 1) * stride..]);
            for x in 0..w as usize {
                let sum = a[2 * x] as u16 + a[2 * x + 1] as u16 + b[2 * x] as u16 + b[2 * x + 1] as u16;
                out.push((sum / 4) as u8);
            }
        }
        img = GrayImage::from_raw(w, h, out).expect("sizes agree");
    }
    img
}

/// An 8-bit paletted BMP (grey ramp), rows bottom-up and padded to four bytes, as the format asks.
pub fn bmp_gray(img: &GrayImage) -> Vec<u8> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let row = (w + 3) & !3;
    let offset = 14 + 40 + 256 * 4;
    let size = offset + row * h;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(offset as u32).to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(w as i32).to_le_bytes());
    out.extend_from_slice(&(h as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // no compression
    out.extend_from_slice(&((row * h) as u32).to_le_bytes());
    out.extend_from_slice(&2835u32.to_le_bytes()); // 72 dpi
    out.extend_from_slice(&2835u32.to_le_bytes());
    out.extend_from_slice(&256u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for i in 0..=255u8 {
        out.extend_from_slice(&[i, i, i, 0]);
    }
    let pixels = img.as_raw();
    for y in (0..h).rev() {
        out.extend_from_slice(&pixels[y * w..(y + 1) * w]);
        out.extend(std::iter::repeat_n(0u8, row - w));
    }
    out
}

const SOUND_IN: &[u8] = include_bytes!("../../assets/sounds/in.wav");
const SOUND_OUT: &[u8] = include_bytes!("../../assets/sounds/out.wav");
const SOUND_REFUSED: &[u8] = include_bytes!("../../assets/sounds/refused.wav");

/// Answers a `kiosk://localhost/<path>` request.
pub fn serve(preview: &Preview, path: &str) -> Response<Cow<'static, [u8]>> {
    let (status, kind, body): (u16, &str, Cow<'static, [u8]>) = match path {
        "/preview.bmp" => match preview.bmp() {
            Some(bmp) => (200, "image/bmp", Cow::Owned(bmp)),
            None => (204, "image/bmp", Cow::Borrowed(&[])),
        },
        "/sound/in.wav" => (200, "audio/wav", Cow::Borrowed(SOUND_IN)),
        "/sound/out.wav" => (200, "audio/wav", Cow::Borrowed(SOUND_OUT)),
        "/sound/refused.wav" => (200, "audio/wav", Cow::Borrowed(SOUND_REFUSED)),
        _ => (404, "text/plain", Cow::Borrowed(b"not found".as_slice())),
    };
    Response::builder()
        .status(status)
        .header("Content-Type", kind)
        .header("Cache-Control", "no-store")
        .header("Access-Control-Allow-Origin", "*")
        .body(body)
        .expect("a well-formed response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_720p_frame_becomes_a_640_wide_bmp_that_reads_back() {
        let frame = GrayImage::from_fn(1280, 720, |_, y| image::Luma([((y / 2) % 256) as u8]));
        let preview = Preview::default();
        assert!(preview.bmp().is_none());
        preview.offer(frame);
        let bmp = preview.bmp().unwrap();
        assert_eq!(&bmp[..2], b"BM");
        assert_eq!(u32::from_le_bytes(bmp[18..22].try_into().unwrap()), 640);
        assert_eq!(u32::from_le_bytes(bmp[22..26].try_into().unwrap()), 360);
        assert_eq!(bmp.len(), 1078 + 640 * 360);
        // Bottom-up: the file's first row is the image's last.
        let offset = 1078;
        assert_eq!(bmp[offset], (359 % 256) as u8);
        // The frame stays for the next request until a newer one replaces it.
        assert_eq!(preview.bmp().unwrap(), bmp);
    }

    #[test]
    fn rows_are_padded_to_four_bytes() {
        let img = GrayImage::from_pixel(3, 2, image::Luma([7]));
        let bmp = bmp_gray(&img);
        assert_eq!(bmp.len(), 1078 + 4 * 2);
        assert_eq!(&bmp[1078..1082], &[7, 7, 7, 0]);
    }

    #[test]
    fn sounds_and_unknown_paths() {
        let p = Preview::default();
        assert_eq!(serve(&p, "/sound/in.wav").status(), 200);
        assert_eq!(&serve(&p, "/sound/refused.wav").body()[..4], b"RIFF");
        assert_eq!(serve(&p, "/preview.bmp").status(), 204);
        assert_eq!(serve(&p, "/../etc/passwd").status(), 404);
    }
}
