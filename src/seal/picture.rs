//! The picture of a round official seal (公章): a red ring, a five-pointed star, the
//! office name along the upper arc, the seal's purpose below the star and an optional
//! code along the lower arc.
//!
//! Text is drawn as glyph outlines taken from a [`SealFont`], so the picture needs no
//! font to display. One set of paths, in millimetres, feeds both [`SealPicture::to_svg`]
//! and [`SealPicture::to_png`].

use std::f32::consts::{FRAC_PI_2, PI};
use std::fmt::{self, Write as _};
use std::path::Path as FsPath;

use tiny_skia::{FillRule, Paint, Path, PathBuilder, PathSegment, Pixmap, Point, Transform};
use ttf_parser::{Face, OutlineBuilder};

use crate::error::{Error, Result};

/// The seal red, #E60012, as red, green and blue.
pub const SEAL_RED: [u8; 3] = [0xE6, 0x00, 0x12];

/// The colour a fully transparent pixel is stored as: white, alpha 0.
pub const TRANSPARENT: [u8; 4] = [0xFF, 0xFF, 0xFF, 0x00];

/// The default seal diameter in millimetres.
pub const DEFAULT_DIAMETER_MM: f32 = 40.0;

const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
];

// Layout, as fractions of the seal radius.
const RING_OUTER: f32 = 0.99;
const RING_INNER: f32 = 0.93;
const STAR_RADIUS: f32 = 0.30;
const NAME_TOP: f32 = 0.88;
const NAME_EM: f32 = 0.30;
const PURPOSE_Y: f32 = 0.52;
const PURPOSE_EM: f32 = 0.21;
const PURPOSE_MAX_WIDTH: f32 = 1.1;
const CODE_RADIUS: f32 = 0.83;
const CODE_EM: f32 = 0.12;
const CODE_STEP_DEG: f32 = 6.5;

/// A font whose glyph outlines draw the seal's text.
#[derive(Clone)]
pub struct SealFont {
    data: Vec<u8>,
    index: u32,
}

impl fmt::Debug for SealFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealFont")
            .field("bytes", &self.data.len())
            .field("index", &self.index)
            .finish()
    }
}

impl SealFont {
    /// Takes a TrueType/OpenType font, or face `index` of a font collection.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<Self> {
        let font = SealFont { data, index };
        font.face()?;
        Ok(font)
    }

    /// Reads a font file; of a collection (`.ttc`) it takes the first face.
    pub fn from_file(path: &FsPath) -> Result<Self> {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(data, 0)
    }

    /// Finds a CJK font installed in one of the usual places (WenQuanYi Micro Hei first).
    pub fn system() -> Result<Self> {
        match SYSTEM_FONTS.iter().map(FsPath::new).find(|p| p.is_file()) {
            Some(path) => Self::from_file(path),
            None => Err(Error::Invalid(format!(
                "no CJK font for the seal picture in {}; install the fonts-wqy-microhei package",
                SYSTEM_FONTS.join(", ")
            ))),
        }
    }

    fn face(&self) -> Result<Face<'_>> {
        Face::parse(&self.data, self.index).map_err(|e| Error::malformed("font", e))
    }
}

/// A round official seal (公章) to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct SealPicture {
    /// The office's name, set along the upper arc (1 to 40 characters).
    pub office_name: String,
    /// What the seal is for, e.g. "合同专用章", set below the star (up to 20 characters).
    pub purpose: Option<String>,
    /// A serial number or code, set small along the lower arc (up to 24 characters).
    pub code: Option<String>,
    /// The diameter in millimetres (10 to 100; 42 is usual for an office seal).
    pub diameter_mm: f32,
}

impl SealPicture {
    /// A seal with the office's name only and the `DEFAULT_DIAMETER_MM`.
    pub fn new(office_name: impl Into<String>) -> Self {
        SealPicture {
            office_name: office_name.into(),
            purpose: None,
            code: None,
            diameter_mm: DEFAULT_DIAMETER_MM,
        }
    }

    /// Draws the seal as an SVG document sized in millimetres, on a transparent ground.
    pub fn to_svg(&self, font: &SealFont) -> Result<String> {
        let paths = self.paths(font)?;
        let d = num(self.diameter_mm);
        let [r, g, b] = SEAL_RED;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{d}mm\" height=\"{d}mm\" \
             viewBox=\"0 0 {d} {d}\">\n<g fill=\"#{r:02X}{g:02X}{b:02X}\">\n"
        );
        for path in &paths {
            svg.push_str("<path d=\"");
            path_data(&mut svg, path);
            svg.push_str("\"/>\n");
        }
        svg.push_str("</g>\n</svg>\n");
        Ok(svg)
    }

    /// Renders the seal as a square PNG `pixels` wide (16 to 4096), transparent outside the
    /// seal: RGBA, not premultiplied, every fully transparent pixel stored as white with
    /// alpha 0, so that a renderer ignoring alpha shows white around the seal, not black.
    pub fn to_png(&self, font: &SealFont, pixels: u32) -> Result<Vec<u8>> {
        if !(16..=4096).contains(&pixels) {
            return Err(Error::Invalid(format!(
                "seal picture size {pixels} px is outside 16..=4096"
            )));
        }
        let paths = self.paths(font)?;
        let mut pixmap = Pixmap::new(pixels, pixels)
            .ok_or_else(|| Error::Invalid(format!("cannot allocate {pixels} px picture")))?;
        let mut paint = Paint::default();
        let [r, g, b] = SEAL_RED;
        paint.set_color_rgba8(r, g, b, 255);
        let scale = pixels as f32 / self.diameter_mm;
        let ts = Transform::from_scale(scale, scale);
        for path in &paths {
            pixmap.fill_path(path, &paint, FillRule::Winding, ts, None);
        }
        encode_png(&pixmap)
    }

    fn check(&self) -> Result<()> {
        let limit = |what: &str, text: &str, min: usize, max: usize| {
            let n = text.chars().count();
            if (min..=max).contains(&n) && !(min > 0 && text.trim().is_empty()) {
                Ok(())
            } else {
                Err(Error::Invalid(format!(
                    "seal {what} must have {min} to {max} characters and not be blank, \
                     not {text:?}"
                )))
            }
        };
        limit("office name", &self.office_name, 1, 40)?;
        limit("purpose", self.purpose.as_deref().unwrap_or(""), 0, 20)?;
        limit("code", self.code.as_deref().unwrap_or(""), 0, 24)?;
        if !(10.0..=100.0).contains(&self.diameter_mm) {
            return Err(Error::Invalid(format!(
                "seal diameter {} mm is outside 10..=100",
                self.diameter_mm
            )));
        }
        Ok(())
    }

    /// Every shape of the seal, in millimetres from the top-left corner, filled non-zero.
    fn paths(&self, font: &SealFont) -> Result<Vec<Path>> {
        self.check()?;
        let face = font.face()?;
        let r = self.diameter_mm / 2.0;
        let centre = (r, r);
        let mut paths = vec![
            ring(centre, r * RING_OUTER, r * RING_INNER),
            star(centre, r * STAR_RADIUS),
        ];
        let mut text = Text {
            face: &face,
            centre,
            paths: &mut paths,
        };

        let name: Vec<char> = self.office_name.chars().collect();
        let n = name.len() as f32;
        let span = (170.0 + 6.0 * n)
            .clamp(210.0, 240.0)
            .min(30.0 * n)
            .to_radians();
        let step = span / n;
        let em = (r * NAME_EM).min(1.6 * step * r * (NAME_TOP - NAME_EM / 2.0));
        let radius = r * NAME_TOP - em / 2.0;
        let width = (0.92 * step * radius / em).min(0.85);
        for (i, &ch) in name.iter().enumerate() {
            let angle = -span / 2.0 + step * (i as f32 + 0.5);
            text.on_circle(ch, angle, radius, angle, em, width)?;
        }

        let purpose: Vec<char> = self.purpose.iter().flat_map(|p| p.chars()).collect();
        let em = r * PURPOSE_EM;
        let width = (r * PURPOSE_MAX_WIDTH / (em * purpose.len() as f32)).min(1.0);
        let pitch = em * width;
        let left = -pitch * purpose.len() as f32 / 2.0;
        for (i, &ch) in purpose.iter().enumerate() {
            let at = (left + pitch * (i as f32 + 0.5), r * PURPOSE_Y);
            text.at(ch, at, 0.0, em, width)?;
        }

        let code: Vec<char> = self.code.iter().flat_map(|c| c.chars()).collect();
        let n = code.len() as f32;
        let step = CODE_STEP_DEG.min(100.0 / n).to_radians();
        let em = (r * CODE_EM).min(1.6 * step * r * CODE_RADIUS);
        let first = PI + step * (n - 1.0) / 2.0;
        for (i, &ch) in code.iter().enumerate() {
            let angle = first - step * i as f32;
            text.on_circle(ch, angle, r * CODE_RADIUS, angle + PI, em, 1.0)?;
        }
        Ok(paths)
    }
}

/// Places glyph outlines around the seal's centre.
struct Text<'a, 'f> {
    face: &'a Face<'f>,
    centre: (f32, f32),
    paths: &'a mut Vec<Path>,
}

impl Text<'_, '_> {
    /// A glyph centred on the circle of `radius` at `angle` (clockwise from the top).
    fn on_circle(
        &mut self,
        ch: char,
        angle: f32,
        radius: f32,
        rotation: f32,
        em: f32,
        width: f32,
    ) -> Result<()> {
        let (sin, cos) = angle.sin_cos();
        self.at(ch, (radius * sin, -radius * cos), rotation, em, width)
    }

    /// A glyph centred `at` an offset from the centre, turned clockwise by `rotation`,
    /// `em` high and narrowed to `width` of its natural width.
    fn at(&mut self, ch: char, at: (f32, f32), rotation: f32, em: f32, width: f32) -> Result<()> {
        let face = self.face;
        let id = face.glyph_index(ch).ok_or_else(|| {
            Error::Invalid(format!(
                "the seal font has no glyph for {ch:?} (U+{:04X})",
                ch as u32
            ))
        })?;
        let mut outline = Outline(PathBuilder::new());
        if face.outline_glyph(id, &mut outline).is_none() {
            return Ok(());
        }
        let upm = f32::from(face.units_per_em());
        let advance = face.glyph_hor_advance(id).map_or(upm, f32::from);
        let middle = (f32::from(face.ascender()) + f32::from(face.descender())) / 2.0;
        let (s, w) = (em / upm, em / upm * width);
        let (sin, cos) = rotation.sin_cos();
        let ts = Transform::from_row(
            cos * w,
            sin * w,
            sin * s,
            -cos * s,
            self.centre.0 + at.0,
            self.centre.1 + at.1,
        )
        .pre_translate(-advance / 2.0, -middle);
        if let Some(path) = outline.0.finish().and_then(|p| p.transform(ts)) {
            self.paths.push(path);
        }
        Ok(())
    }
}

struct Outline(PathBuilder);

impl OutlineBuilder for Outline {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.0.close();
    }
}

/// The border: an outer circle and an inner one wound the other way.
fn ring(centre: (f32, f32), outer: f32, inner: f32) -> Path {
    let mut pb = PathBuilder::new();
    circle(&mut pb, centre, outer, 1.0);
    circle(&mut pb, centre, inner, -1.0);
    pb.finish().expect("a ring has area")
}

fn circle(pb: &mut PathBuilder, (cx, cy): (f32, f32), r: f32, dir: f32) {
    let k = 0.552_284_8 * r * dir;
    pb.move_to(cx + r, cy);
    for i in 0..4 {
        let (s0, c0) = (dir * FRAC_PI_2 * i as f32).sin_cos();
        let (s1, c1) = (dir * FRAC_PI_2 * (i + 1) as f32).sin_cos();
        pb.cubic_to(
            cx + r * c0 - k * s0,
            cy + r * s0 + k * c0,
            cx + r * c1 + k * s1,
            cy + r * s1 - k * c1,
            cx + r * c1,
            cy + r * s1,
        );
    }
    pb.close();
}

/// A regular five-pointed star with a point straight up.
fn star((cx, cy): (f32, f32), outer: f32) -> Path {
    let inner = outer * 0.381_966;
    let mut pb = PathBuilder::new();
    for i in 0..10 {
        let radius = if i % 2 == 0 { outer } else { inner };
        let (sin, cos) = (-FRAC_PI_2 + PI / 5.0 * i as f32).sin_cos();
        let (x, y) = (cx + radius * cos, cy + radius * sin);
        if i == 0 {
            pb.move_to(x, y);
        } else {
            pb.line_to(x, y);
        }
    }
    pb.close();
    pb.finish().expect("a star has area")
}

fn path_data(out: &mut String, path: &Path) {
    let mut put = |op: char, points: &[Point]| {
        out.push(op);
        for (i, p) in points.iter().enumerate() {
            let sep = if i == 0 { "" } else { " " };
            let _ = write!(out, "{sep}{} {}", num(p.x), num(p.y));
        }
    };
    for segment in path.segments() {
        match segment {
            PathSegment::MoveTo(p) => put('M', &[p]),
            PathSegment::LineTo(p) => put('L', &[p]),
            PathSegment::QuadTo(p1, p) => put('Q', &[p1, p]),
            PathSegment::CubicTo(p1, p2, p) => put('C', &[p1, p2, p]),
            PathSegment::Close => put('Z', &[]),
        }
    }
}

/// A number with at most three decimals and no trailing zeros.
fn num(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `pixmap` as an 8-bit RGBA PNG, demultiplied, fully transparent pixels [`TRANSPARENT`].
fn encode_png(pixmap: &Pixmap) -> Result<Vec<u8>> {
    let mut rgba = Vec::with_capacity(pixmap.data().len());
    for pixel in pixmap.pixels() {
        let c = pixel.demultiply();
        if c.alpha() == 0 {
            rgba.extend_from_slice(&TRANSPARENT);
        } else {
            rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
    }
    let failed = |e: png::EncodingError| Error::Invalid(format!("PNG encoding failed: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&rgba).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}
