//! QR codes for survey URLs: an SVG to inline in HTML (or serve as `qr.svg`) and a PNG.
//!
//! Error correction level M (15 % of the code may be dirty or torn), the smallest version
//! that fits, the standard 4-module quiet zone.

use image::{ExtendedColorType, ImageEncoder, Luma, codecs::png::PngEncoder};
use qrcode::{EcLevel, QrCode, render::svg};

/// Pixels per module of the SVG's intrinsic size (CSS may scale it freely: it has a viewBox).
pub const SVG_MODULE_PX: usize = 8;
/// Bounds on [`qr_png`]'s module size, so a query parameter cannot ask for a huge image.
pub const PNG_MODULE_PX_MAX: u32 = 40;

/// The QR code could not be made (the text is longer than a QR code holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrError(pub String);

impl std::fmt::Display for QrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot make a QR code: {}", self.0)
    }
}

impl std::error::Error for QrError {}

fn code(data: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| QrError(e.to_string()))
}

/// The QR code of `data` as an SVG element, without the XML declaration so it can be
/// inlined in HTML. Its viewBox counts modules (quiet zone included); its width and height
/// are [`SVG_MODULE_PX`] per module, which CSS may override.
pub fn qr_svg(data: &str) -> Result<String, QrError> {
    let code = code(data)?;
    let raw = code
        .render::<svg::Color<'_>>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build();
    let svg = match raw.find("<svg") {
        Some(i) => &raw[i..],
        None => raw.as_str(),
    };
    let modules = code.width() + 8;
    let px = modules * SVG_MODULE_PX;
    // qrcode writes width="N" height="N" in modules; give it a sensible intrinsic size.
    let sized = svg.replacen(
        &format!(r#"width="{modules}" height="{modules}""#),
        &format!(r#"width="{px}" height="{px}""#),
        1,
    );
    Ok(sized)
}

/// The QR code of `data` as a PNG, `module_px` pixels per module (clamped to
/// 1–[`PNG_MODULE_PX_MAX`]), quiet zone included, black on white, 8-bit greyscale.
pub fn qr_png(data: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    let code = code(data)?;
    let px = module_px.clamp(1, PNG_MODULE_PX_MAX);
    let img = code
        .render::<Luma<u8>>()
        .module_dimensions(px, px)
        .quiet_zone(true)
        .build();
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            ExtendedColorType::L8,
        )
        .map_err(|e| QrError(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://sipas.hatinh.gov.vn/s/EQFoBeR6x0aZm3_-Qk8";

    fn decode_luma(img: image::GrayImage) -> String {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code");
        let (_meta, content) = grids[0].decode().expect("decodes");
        content
    }

    #[test]
    fn png_decodes_to_the_exact_url() {
        for px in [3, 4, 10] {
            let png = qr_png(URL, px).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
                .unwrap()
                .into_luma8();
            assert_eq!(decode_luma(img), URL);
        }
    }

    #[test]
    fn png_module_size_is_clamped() {
        let small = image::load_from_memory(&qr_png(URL, 0).unwrap()).unwrap();
        let big = image::load_from_memory(&qr_png(URL, 10_000).unwrap()).unwrap();
        let modules = code(URL).unwrap().width() as u32 + 8;
        assert_eq!(small.width(), modules);
        assert_eq!(big.width(), modules * PNG_MODULE_PX_MAX);
    }

    #[test]
    fn level_m_and_a_small_version() {
        let c = code(URL).unwrap();
        assert_eq!(c.error_correction_level(), EcLevel::M);
        // 52 bytes of URL fit version 4 (33×33 modules) at level M.
        assert!(c.width() <= 33, "width {}", c.width());
    }

    /// Rasterises the SVG's path (qrcode writes only `M x y h w v h H x V y` rectangles)
    /// and decodes it with rqrr, so the inline SVG is checked independently of the PNG.
    #[test]
    fn svg_is_inlinable_and_decodes_to_the_exact_url() {
        let svg = qr_svg(URL).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(!svg.contains("<?xml"));
        let modules = code(URL).unwrap().width() + 8;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {modules} {modules}""#)));
        let px = modules * SVG_MODULE_PX;
        assert!(svg.contains(&format!(r#"width="{px}" height="{px}""#)));

        let d_start = svg.find(" d=\"").unwrap() + 4;
        let d = &svg[d_start..svg[d_start..].find('"').unwrap() + d_start];
        let scale = 4u32;
        let side = modules as u32 * scale;
        let mut img = image::GrayImage::from_pixel(side, side, Luma([255]));
        for cmd in d.split('M').filter(|s| !s.is_empty()) {
            // "x yhwvhHxVy"
            let (x, rest) = cmd.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let (w, rest) = rest.split_once('v').unwrap();
            let (h, _) = rest.split_once('H').unwrap();
            let [x, y, w, h]: [u32; 4] = [x, y, w, h].map(|s| s.parse().unwrap());
            for yy in y * scale..(y + h) * scale {
                for xx in x * scale..(x + w) * scale {
                    img.put_pixel(xx, yy, Luma([0]));
                }
            }
        }
        assert_eq!(decode_luma(img), URL);
    }

    #[test]
    fn too_long_is_an_error_not_a_panic() {
        let long = "x".repeat(5_000);
        assert!(qr_svg(&long).is_err());
        assert!(qr_png(&long, 4).is_err());
    }
}
