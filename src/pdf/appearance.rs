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

/// Converts the seal's picture (PNG, GIF or JPEG) into image XObjects.
pub fn image_from_picture(picture: &PictureInfo) -> Result<ImageXObject> {
    match picture.picture_type.to_ascii_lowercase().as_str() {
        "png" => {
            // IHDR (PNG clause 11.2.2): width and height before anything is decoded.
            let side = |at: usize| {
                picture
                    .data
                    .get(at..at + 4)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            };
            if side(16).max(side(20)) > MAX_SIDE {
                return Err(Error::malformed(
                    "seal picture",
                    "PNG larger than 4096 pixels",
                ));
            }
            let pixmap = tiny_skia::Pixmap::decode_png(&picture.data)
                .map_err(|e| Error::malformed("seal picture", format!("PNG: {e}")))?;
            let rgba = pixmap
                .pixels()
                .iter()
                .flat_map(|p| {
                    let c = p.demultiply();
                    [c.red(), c.green(), c.blue(), c.alpha()]
                })
                .collect::<Vec<u8>>();
            Ok(rgba_image(pixmap.width(), pixmap.height(), &rgba))
        }
        "gif" => gif_image(&picture.data),
        "jpg" | "jpeg" => jpeg_image(&picture.data),
        other => Err(Error::Invalid(format!(
            "the seal's {other} picture cannot be shown in a PDF; PNG, GIF and JPEG can"
        ))),
    }
}

/// Largest picture side accepted, in pixels.
const MAX_SIDE: u32 = 4096;

/// The first frame of a GIF (the seal pictures some vendors write), transparency kept.
fn gif_image(data: &[u8]) -> Result<ImageXObject> {
    let bad = |e: &dyn std::fmt::Display| Error::malformed("seal picture", format!("GIF: {e}"));
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(data).map_err(|e| bad(&e))?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    if width.max(height) > MAX_SIDE {
        return Err(bad(&"picture larger than 4096 pixels"));
    }
    let mut canvas = vec![0u8; (width * height * 4) as usize];
    let frame = decoder
        .read_next_frame()
        .map_err(|e| bad(&e))?
        .ok_or_else(|| bad(&"no frame"))?;
    let (left, top) = (usize::from(frame.left), usize::from(frame.top));
    let frame_width = usize::from(frame.width);
    for (i, pixel) in frame.buffer.chunks_exact(4).enumerate() {
        let (x, y) = (left + i % frame_width, top + i / frame_width);
        if x < width as usize && y < height as usize {
            let at = (y * width as usize + x) * 4;
            canvas[at..at + 4].copy_from_slice(pixel);
        }
    }
    Ok(rgba_image(width, height, &canvas))
}

/// An RGB image with its alpha channel as a soft mask when any pixel is not opaque.
fn rgba_image(width: u32, height: u32, rgba: &[u8]) -> ImageXObject {
    let mut rgb = Vec::with_capacity(rgba.len() / 4 * 3);
    let mut alpha = Vec::with_capacity(rgba.len() / 4);
    for pixel in rgba.chunks_exact(4) {
        rgb.extend_from_slice(&pixel[..3]);
        alpha.push(pixel[3]);
    }
    let soft_mask = alpha.iter().any(|a| *a != 255).then(|| Stream {
        dict: image_dict(width, height, "DeviceGray", "FlateDecode"),
        data: deflate(&alpha),
        deferred: None,
    });
    ImageXObject {
        image: Stream {
            dict: image_dict(width, height, "DeviceRGB", "FlateDecode"),
            data: deflate(&rgb),
            deferred: None,
        },
        soft_mask,
    }
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
            dict: image_dict(width.into(), height.into(), colour_space, "DCTDecode"),
            data: data.to_vec(),
            deferred: None,
        },
        soft_mask: None,
    })
}

/// An 8-bit image XObject dictionary (ISO 32000-1 Table 89).
fn image_dict(width: u32, height: u32, colour_space: &str, filter: &str) -> super::Dict {
    dict([
        ("Type", name("XObject")),
        ("Subtype", name("Image")),
        ("Width", Object::Int(width.into())),
        ("Height", Object::Int(height.into())),
        ("ColorSpace", name(colour_space)),
        ("BitsPerComponent", Object::Int(8)),
        ("Filter", name(filter)),
    ])
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
        deferred: None,
    }
}
