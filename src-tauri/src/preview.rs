//! The `kiosk://` scheme the screen loads from: the camera preview (the latest frame, shrunk to
//! the preview box and sent as an uncompressed 8-bit BMP, which WebKit draws without real
//! decoding work), the guard screen's sounds from assets/, workers' photos and HR's snapshots.
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
    /// Frames sent to the screen so far (`--measure` reports the rate).
    pub sent: std::sync::atomic::AtomicU64,
}

/// Widest preview sent when the screen does not say how wide its box is.
const WIDEST: u32 = 640;

impl Preview {
    pub fn offer(&self, frame: GrayImage) {
        *crate::held(&self.latest) = Some(frame);
    }

    pub fn has_frame(&self) -> bool {
        crate::held(&self.latest).is_some()
    }

    /// The newest frame as a BMP no wider than `widest` (shrunk by a whole factor, so at
    /// least half that wide), or None before the first frame.
    pub fn bmp(&self, widest: u32) -> Option<Vec<u8>> {
        let frame = crate::held(&self.latest).take()?;
        let small = shrink(&frame, widest.clamp(64, 1920));
        // Kept for the next request when no newer frame has come in by then.
        crate::held(&self.latest).get_or_insert(frame);
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(bmp_gray(&small))
    }
}

/// Shrinks by the smallest whole factor that makes the image at most `widest` wide, each pixel
/// the mean of the block it covers.
fn shrink(img: &GrayImage, widest: u32) -> GrayImage {
    let k = img.width().div_ceil(widest).max(1);
    if k == 1 {
        return img.clone();
    }
    let (w, h) = (img.width() / k, img.height() / k);
    let (src, stride, k) = (img.as_raw(), img.width() as usize, k as usize);
    let mut sums = vec![0u32; w as usize];
    let mut out = Vec::with_capacity((w * h) as usize);
    for by in 0..h as usize {
        sums.iter_mut().for_each(|s| *s = 0);
        for row in src[by * k * stride..(by * k + k) * stride].chunks_exact(stride) {
            for (sum, block) in sums.iter_mut().zip(row.chunks_exact(k)) {
                *sum += block.iter().map(|&p| u32::from(p)).sum::<u32>();
            }
        }
        let area = (k * k) as u32;
        out.extend(sums.iter().map(|s| (s / area) as u8));
    }
    GrayImage::from_raw(w, h, out).expect("sizes agree")
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

/// Answers a `kiosk://localhost/<path>[?w=WIDTH]` request.
pub fn serve(preview: &Preview, path: &str, query: Option<&str>) -> Response<Cow<'static, [u8]>> {
    let widest = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("w=")))
        .and_then(|w| w.parse().ok())
        .unwrap_or(WIDEST);
    let (status, kind, body): (u16, &str, Cow<'static, [u8]>) = match path {
        "/preview.bmp" => match preview.bmp(widest) {
            Some(bmp) => (200, "image/bmp", Cow::Owned(bmp)),
            None => (204, "image/bmp", Cow::Borrowed(&[])),
        },
        "/sound/in.wav" => (200, "audio/wav", Cow::Borrowed(SOUND_IN)),
        "/sound/out.wav" => (200, "audio/wav", Cow::Borrowed(SOUND_OUT)),
        "/sound/refused.wav" => (200, "audio/wav", Cow::Borrowed(SOUND_REFUSED)),
        _ => (404, "text/plain", Cow::Borrowed(b"not found".as_slice())),
    };
    answer(status, kind, body)
}

fn answer(status: u16, kind: &str, body: Cow<'static, [u8]>) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header("Content-Type", kind)
        .header("Cache-Control", "no-store")
        .header("Access-Control-Allow-Origin", "*")
        .body(body)
        .expect("a well-formed response")
}

/// A worker's photo or a scan's snapshot: the JPEG, or 404 so the screen shows its placeholder
/// (none kept, the HR pages closed, or the database could not be read — never an alert for a
/// picture).
pub fn picture(found: qrgate_desk::Result<Option<Vec<u8>>>) -> Response<Cow<'static, [u8]>> {
    let (status, kind, body): (u16, &str, Cow<'static, [u8]>) = match found {
        Ok(Some(jpeg)) => (200, "image/jpeg", Cow::Owned(jpeg)),
        Ok(None) | Err(_) => (404, "text/plain", Cow::Borrowed(b"no picture".as_slice())),
    };
    answer(status, kind, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_720p_frame_becomes_a_640_wide_bmp_that_reads_back() {
        let frame = GrayImage::from_fn(1280, 720, |_, y| image::Luma([((y / 2) % 256) as u8]));
        let preview = Preview::default();
        assert!(preview.bmp(640).is_none());
        preview.offer(frame);
        let bmp = preview.bmp(640).unwrap();
        assert_eq!(&bmp[..2], b"BM");
        assert_eq!(u32::from_le_bytes(bmp[18..22].try_into().unwrap()), 640);
        assert_eq!(u32::from_le_bytes(bmp[22..26].try_into().unwrap()), 360);
        assert_eq!(bmp.len(), 1078 + 640 * 360);
        // Bottom-up: the file's first row is the image's last.
        let offset = 1078;
        assert_eq!(bmp[offset], (359 % 256) as u8);
        // The frame stays for the next request until a newer one replaces it.
        assert_eq!(preview.bmp(640).unwrap(), bmp);
        // A box 400 pixels wide gets a quarter: 320×180.
        let small = preview.bmp(400).unwrap();
        assert_eq!(u32::from_le_bytes(small[18..22].try_into().unwrap()), 320);
        assert_eq!(small[offset], ((179 * 4 + 1) / 2 % 256) as u8);
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
        assert_eq!(serve(&p, "/sound/in.wav", None).status(), 200);
        assert_eq!(&serve(&p, "/sound/refused.wav", None).body()[..4], b"RIFF");
        assert_eq!(serve(&p, "/preview.bmp", Some("w=400&n=3")).status(), 204);
        assert_eq!(serve(&p, "/../etc/passwd", None).status(), 404);
    }
}
