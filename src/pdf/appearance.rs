//! The visible seal: the e-seal picture as an image XObject inside the widget's appearance
//! stream (ISO 32000-1 clauses 8.9 and 12.5.5; PDF.md §1 "appearance").

use super::filter::deflate;
use super::object::{Object, Stream, dict, name};
use crate::error::{Error, Result};
use crate::seal::PictureInfo;

/// Points per millimetre (1 pt = 1/72 in).
pub const PT_PER_MM: f64 = 72.0 / 25.4;

/// An image ready to be written: the image XObject and, for PNG with transparency, its soft mask.
pub struct ImageXObject {
    /// The `/Subtype /Image` stream (its `/SMask` entry is filled in by the writer).
    pub image: Stream,
    /// The alpha channel as a `/DeviceGray` image, if any pixel is not opaque.
    pub soft_mask: Option<Stream>,
}

/// Converts the seal's picture (PNG or JPEG) into image XObjects.
pub fn image_from_picture(picture: &PictureInfo) -> Result<ImageXObject> {
    match picture.picture_type.to_ascii_lowercase().as_str() {
        "png" => png_image(&picture.data),
        "jpg" | "jpeg" => jpeg_image(&picture.data),
        other => Err(Error::Invalid(format!(
            "the seal's {other} picture cannot be shown in a PDF; PNG and JPEG can"
        ))),
    }
}

fn png_image(data: &[u8]) -> Result<ImageXObject> {
    let pixmap = tiny_skia::Pixmap::decode_png(data)
        .map_err(|e| Error::malformed("seal picture", format!("PNG: {e}")))?;
    let (width, height) = (pixmap.width(), pixmap.height());
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    let mut alpha = Vec::with_capacity((width * height) as usize);
    for pixel in pixmap.pixels() {
        let c = pixel.demultiply();
        rgb.extend_from_slice(&[c.red(), c.green(), c.blue()]);
        alpha.push(c.alpha());
    }
    let image_dict = |colour_space: &str| {
        dict([
            ("Type", name("XObject")),
            ("Subtype", name("Image")),
            ("Width", Object::Int(width.into())),
            ("Height", Object::Int(height.into())),
            ("ColorSpace", name(colour_space)),
            ("BitsPerComponent", Object::Int(8)),
            ("Filter", name("FlateDecode")),
        ])
    };
    let soft_mask = alpha.iter().any(|a| *a != 255).then(|| Stream {
        dict: image_dict("DeviceGray"),
        data: deflate(&alpha),
    });
    Ok(ImageXObject {
        image: Stream {
            dict: image_dict("DeviceRGB"),
            data: deflate(&rgb),
        },
        soft_mask,
    })
}

fn jpeg_image(data: &[u8]) -> Result<ImageXObject> {
    let (width, height, components) = jpeg_size(data)
        .ok_or_else(|| Error::malformed("seal picture", "JPEG without a frame header"))?;
    let colour_space = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        4 => "DeviceCMYK",
        n => {
            return Err(Error::malformed(
                "seal picture",
                format!("JPEG with {n} components"),
            ));
        }
    };
    Ok(ImageXObject {
        image: Stream {
            dict: dict([
                ("Type", name("XObject")),
                ("Subtype", name("Image")),
                ("Width", Object::Int(width.into())),
                ("Height", Object::Int(height.into())),
                ("ColorSpace", name(colour_space)),
                ("BitsPerComponent", Object::Int(8)),
                ("Filter", name("DCTDecode")),
            ]),
            data: data.to_vec(),
        },
        soft_mask: None,
    })
}

/// Width, height and component count from a JPEG's SOFn segment (ITU-T T.81 B.2.2).
fn jpeg_size(data: &[u8]) -> Option<(u16, u16, u8)> {
    let mut i = 2;
    if data.get(..2)? != [0xff, 0xd8] {
        return None;
    }
    while i + 4 <= data.len() {
        if data[i] != 0xff {
            return None;
        }
        let marker = data[i + 1];
        let length = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let is_sof = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_sof {
            let seg = data.get(i + 4..i + 2 + length)?;
            let height = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]);
            let width = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]);
            return Some((width, height, *seg.get(5)?));
        }
        i += 2 + length;
    }
    None
}

/// The widget's normal appearance: a form XObject `width` × `height` points that draws the
/// image named `/Seal` over its whole box, turned against the page's `/Rotate` (degrees
/// clockwise) so that it shows upright (ISO 32000-1 clause 12.5.5, `/Matrix`).
pub fn appearance_stream(
    width: f64,
    height: f64,
    rotate: i64,
    image: crate::pdf::ObjRef,
) -> Stream {
    use super::object::format_real;
    let (w, h) = (format_real(width), format_real(height));
    let content = format!("q {w} 0 0 {h} 0 0 cm /Seal Do Q\n");
    let matrix: [i64; 4] = match rotate {
        90 => [0, 1, -1, 0],
        180 => [-1, 0, 0, -1],
        270 => [0, -1, 1, 0],
        _ => [1, 0, 0, 1],
    };
    let mut matrix: Vec<Object> = matrix.into_iter().map(Object::Int).collect();
    matrix.extend([Object::Int(0), Object::Int(0)]);
    Stream {
        dict: dict([
            ("Type", name("XObject")),
            ("Subtype", name("Form")),
            ("Matrix", Object::Array(matrix)),
            (
                "BBox",
                Object::Array(vec![
                    Object::Int(0),
                    Object::Int(0),
                    Object::Real(width),
                    Object::Real(height),
                ]),
            ),
            (
                "Resources",
                Object::Dict(dict([(
                    "XObject",
                    Object::Dict(dict([("Seal", Object::Ref(image))])),
                )])),
            ),
        ]),
        data: content.into_bytes(),
    }
}
