//! The licence document (LICENCE.md §6): the printed licence rendered as a PDF or as an
//! OFD (GB/T 33190-2016, the national file format of electronic licences, GB/T 36905).
//!
//! [`render_pdf`] and [`render_ofd`] lay out a [`LicenceDocument`] (text already
//! formatted) on one A4 page from one layout (the `layout` module): the number top right,
//! the title centred, the label → value rows (long values wrap), the QR code as vector
//! rectangles bottom left with the 核验码 under it, the issuing office and the date bottom
//! right, and the licence identifier in small print at the bottom.
//!
//! Text is set in a [`CjkFont`] embedded as a subset (only the glyphs used): in the PDF as
//! a Type0 / CIDFontType2 font with `Identity-H` encoding and a `/ToUnicode` CMap, in the
//! OFD as a TrueType file with a `cmap` for the characters used, so that text can be
//! searched and copied. A character the font has no glyph for is an error naming it, never
//! a `.notdef` box, with one exception: printable ASCII missing from a CJK-only font (Droid
//! Sans Fallback has no Latin letters or digits) is set with the font's fullwidth form
//! (U+FF01–U+FF5E) condensed to 60 % (so that glyph boxes stay where the glyphs are drawn),
//! and the text still reads as the ASCII character (`/ToUnicode` in the PDF; in the OFD
//! the text is the ASCII and the subset's `cmap` maps it to the fullwidth glyph; when a
//! document uses both forms of one character, both extract as ASCII from the PDF). The
//! output is deterministic: the same input and font give the same bytes (no clock).
//!
//! The office then seals the PDF with [`crate::pdf::seal_pdf`], the e-seal picture over the
//! issuer name and date: [`RenderedLicence::seal_placement`] gives that placement, and
//! [`RenderedOfd::seal_placement`] the same square for the OFD's `StampAnnot`.

use std::fmt;
use std::path::{Path, PathBuf};

use ttf_parser::Face;

use crate::error::{Error, Result};

pub(crate) mod layout;
mod ofd;
pub(crate) mod pdf;
mod sfnt;

pub use ofd::{RenderedOfd, render_ofd};
pub use pdf::{RenderedLicence, render_pdf};

/// The environment variable naming the CJK font file (TrueType, or a collection's first face).
pub const FONT_ENV: &str = "ESEAL_CJK_FONT";

/// The font used when [`FONT_ENV`] is not set: Debian's `fonts-droid-fallback`.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

/// What the printed licence shows, already formatted (dates as 2026年01月01日 or 长期).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenceDocument {
    /// 证照名称, e.g. 营业执照: large, centred.
    pub title: String,
    /// 证照编号, printed top right ("编号：…").
    pub number: Option<String>,
    /// Label → value rows in order (holder, codes, surface fields, validity, …); long values
    /// wrap and `\n` starts a new line.
    pub fields: Vec<(String, String)>,
    /// 颁发机构, printed bottom right above the date; the seal goes over it.
    pub issuer_name: String,
    /// The issue date, e.g. 2026年01月01日.
    pub issue_date: String,
    /// The GB/T 36904 licence identifier, small print at the bottom ("证照标识：…").
    pub identifier: String,
    /// The QR text ("ZZ1:..."), drawn as a vector QR code 38 mm wide, error correction Q.
    pub qr: String,
    /// 核验码, printed under the QR code when present.
    pub verification_code: Option<String>,
}

/// A TrueType font with CJK coverage to set the licence in (font bytes and face index).
#[derive(Clone)]
pub struct CjkFont {
    data: Vec<u8>,
    index: u32,
}

impl fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CjkFont")
            .field("bytes", &self.data.len())
            .field("index", &self.index)
            .finish()
    }
}

impl CjkFont {
    /// Takes a TrueType font (`glyf` outlines), or face `index` of a font collection.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<Self> {
        let font = CjkFont { data, index };
        let face = font.face()?;
        if face.tables().glyf.is_none() {
            return Err(Error::Invalid(
                "the CJK font has no TrueType (glyf) outlines".into(),
            ));
        }
        Ok(font)
    }

    /// Reads a TrueType font file; of a collection (`.ttc`) it takes the first face.
    /// A path that does not exist is [`Error::FontNotFound`].
    pub fn from_file(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::FontNotFound {
                path: path.to_path_buf(),
            });
        }
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(data, 0)
    }

    /// The font named by `FONT_ENV`, else `DEFAULT_FONT_PATH`; neither present is
    /// [`Error::FontNotFound`].
    pub fn from_env() -> Result<Self> {
        let path = std::env::var_os(FONT_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_FONT_PATH), PathBuf::from);
        Self::from_file(&path)
    }

    /// The font's face, for glyph lookup and metrics.
    pub(crate) fn face(&self) -> Result<Face<'_>> {
        Face::parse(&self.data, self.index).map_err(|e| Error::malformed("font", e))
    }

    /// The subset font program: the glyphs `remapper` holds, renumbered by it.
    pub(crate) fn subset(&self, remapper: &subsetter::GlyphRemapper) -> Result<Vec<u8>> {
        subsetter::subset(&self.data, self.index, remapper)
            .map_err(|e| Error::malformed("font", format!("subsetting failed: {e}")))
    }
}
