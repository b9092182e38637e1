//! The round office seal picture: its geometry in the rendered PNG, the SVG's shape,
//! determinism and input limits.

mod common;

use std::f32::consts::PI;
use std::path::Path;

use eseal::Error;
use eseal::seal::picture::{SealFont, SealPicture};
use tiny_skia::Pixmap;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const NAME: &str = "某某市市场监督管理局";
const PURPOSE: &str = "电子证照专用章";
const PX: u32 = 512;

fn font() -> SealFont {
    assert!(
        Path::new(FONT).is_file(),
        "{FONT} is missing: run scripts/setup.sh (Debian package fonts-wqy-microhei)"
    );
    SealFont::from_file(Path::new(FONT)).expect("the WenQuanYi font loads")
}

fn office_seal() -> SealPicture {
    let mut seal = SealPicture::new(NAME);
    seal.purpose = Some(PURPOSE.into());
    seal
}

/// The decoded picture, read in units of the seal radius from the centre (y down).
struct Picture(Pixmap);

impl Picture {
    fn render(seal: &SealPicture) -> Self {
        let png = seal.to_png(&font(), PX).unwrap();
        let pixmap = Pixmap::decode_png(&png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), (PX, PX));
        Picture(pixmap)
    }

    fn rgba(&self, x: u32, y: u32) -> [u8; 4] {
        let c = self.0.pixel(x, y).unwrap().demultiply();
        [c.red(), c.green(), c.blue(), c.alpha()]
    }

    fn at(&self, x: f32, y: f32) -> [u8; 4] {
        let half = PX as f32 / 2.0;
        let px = |v: f32| ((half + v * half) as u32).min(PX - 1);
        self.rgba(px(x), px(y))
    }

    fn red(&self, x: f32, y: f32) -> bool {
        is_red(self.at(x, y))
    }

    fn polar_red(&self, radius: f32, degrees: f32) -> bool {
        let (sin, cos) = degrees.to_radians().sin_cos();
        self.red(radius * sin, -radius * cos)
    }

    /// The fraction of red pixels among those at `radius` in `lo..hi` that `keep` accepts.
    fn band(&self, lo: f32, hi: f32, keep: impl Fn(f32, f32) -> bool) -> f32 {
        let (mut red, mut all) = (0u32, 0u32);
        for y in 0..PX {
            for x in 0..PX {
                let half = PX as f32 / 2.0;
                let (u, v) = ((x as f32 + 0.5) / half - 1.0, (y as f32 + 0.5) / half - 1.0);
                let r = u.hypot(v);
                if r >= lo && r < hi && keep(u, v) {
                    all += 1;
                    red += u32::from(is_red(self.rgba(x, y)));
                }
            }
        }
        assert!(all > 0);
        red as f32 / all as f32
    }
}

fn is_red([r, g, b, a]: [u8; 4]) -> bool {
    a >= 128 && r >= 180 && g <= 60 && b <= 80
}

fn transparent(px: [u8; 4]) -> bool {
    px[3] < 16
}

fn in_purpose_area(u: f32, v: f32) -> bool {
    u.abs() < 0.6 && (0.35..0.7).contains(&v)
}

/// Whether (u, v) lies within `half` degrees of `centre`, clockwise from the top.
fn sector(u: f32, v: f32, centre: f32, half: f32) -> bool {
    let angle = u.atan2(-v).to_degrees();
    ((angle - centre + 540.0) % 360.0 - 180.0).abs() <= half
}

#[test]
fn ring_is_red_all_round() {
    let pic = Picture::render(&office_seal());
    let red = (0..720)
        .filter(|&i| pic.polar_red(0.96, i as f32 / 2.0))
        .count();
    assert!(red >= 713, "only {red} of 720 ring samples are red");
    let outside = (0..360)
        .filter(|&i| {
            let (sin, cos) = (i as f32 * PI / 180.0).sin_cos();
            !transparent(pic.at(1.01 * sin, -1.01 * cos))
        })
        .count();
    assert_eq!(outside, 0, "paint outside the ring");
}

#[test]
fn star_is_centred_with_five_points() {
    let pic = Picture::render(&office_seal());
    assert!(pic.red(0.0, 0.0), "centre pixel {:?}", pic.at(0.0, 0.0));
    for k in 0..5 {
        let point = 72.0 * k as f32;
        for step in 0..=20 {
            let r = 0.24 * step as f32 / 20.0;
            assert!(pic.polar_red(r, point), "star point {k} not red at r={r}");
        }
        let between = point + 36.0;
        let clear = (0..=20)
            .filter(|&step| {
                let r = 0.16 + 0.1 * step as f32 / 20.0;
                let (sin, cos) = between.to_radians().sin_cos();
                transparent(pic.at(r * sin, -r * cos))
            })
            .count();
        assert!(
            clear >= 19,
            "between points {k} and {}: {clear}/21 clear",
            k + 1
        );
    }
    // The star is symmetric about the vertical axis through the centre.
    for (x, y) in [(0.1, -0.05), (0.2, -0.08), (0.08, 0.15), (0.12, 0.2)] {
        assert_eq!(pic.red(x, y), pic.red(-x, y), "asymmetric at ({x}, {y})");
    }
}

#[test]
fn office_name_is_along_the_upper_arc() {
    let pic = Picture::render(&office_seal());
    let (lo, hi) = (0.6, 0.88);
    let upper_half = pic.band(lo, hi, |_, v| v < 0.0);
    assert!(
        upper_half > 0.15,
        "upper half of the arc is {upper_half:.3} red"
    );
    let top = pic.band(lo, hi, |u, v| sector(u, v, 0.0, 55.0));
    let bottom = pic.band(lo, hi, |u, v| {
        sector(u, v, 180.0, 55.0) && !in_purpose_area(u, v)
    });
    assert!(top > 0.2, "top of the arc is {top:.3} red");
    assert!(bottom < 0.01, "bottom of the arc is {bottom:.3} red");
    // The name runs evenly from left to right, a little below the horizontal.
    let left = pic.band(lo, hi, |u, v| sector(u, v, -100.0, 10.0));
    let right = pic.band(lo, hi, |u, v| sector(u, v, 100.0, 10.0));
    assert!(left > 0.1 && right > 0.1, "ends {left:.3}, {right:.3}");
    // Text touches neither the ring nor the star.
    assert!(pic.band(0.9, 0.925, |_, _| true) < 0.01);
    assert!(pic.band(0.31, 0.55, |_, v| v < 0.0) < 0.01);
}

#[test]
fn purpose_is_set_below_the_star() {
    let pic = Picture::render(&office_seal());
    let purpose = pic.band(0.0, 1.0, |u, v| u.abs() < 0.5 && (0.42..0.62).contains(&v));
    assert!(purpose > 0.15, "purpose band is {purpose:.3} red");
    let gap = pic.band(0.0, 1.0, |u, v| u.abs() < 0.5 && (0.3..0.39).contains(&v));
    assert!(gap < 0.01, "between star and purpose {gap:.3} red");

    let mut bare = office_seal();
    bare.purpose = None;
    let pic = Picture::render(&bare);
    assert_eq!(
        pic.band(0.0, 0.85, |u, v| sector(u, v, 180.0, 55.0) && v > 0.3),
        0.0
    );
}

#[test]
fn code_is_set_along_the_lower_arc() {
    let bottom = |u: f32, v: f32| sector(u, v, 180.0, 30.0);
    let mut seal = office_seal();
    assert_eq!(Picture::render(&seal).band(0.78, 0.9, bottom), 0.0);
    seal.code = Some("3301060012345".into());
    assert!(Picture::render(&seal).band(0.78, 0.9, bottom) > 0.05);
}

#[test]
fn background_is_transparent() {
    let pic = Picture::render(&office_seal());
    for (x0, y0) in [(0, 0), (PX - 40, 0), (0, PX - 40), (PX - 40, PX - 40)] {
        for y in y0..y0 + 40 {
            for x in x0..x0 + 40 {
                assert_eq!(pic.rgba(x, y)[3], 0, "corner pixel ({x}, {y})");
            }
        }
    }
}

#[test]
fn svg_is_vector_paths_in_millimetres() {
    let svg = office_seal().to_svg(&font()).unwrap();
    assert!(svg.starts_with("<svg "));
    assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    assert!(svg.contains(r#"width="40mm" height="40mm" viewBox="0 0 40 40""#));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(!svg.contains("<text") && !svg.contains("font"));
    let glyphs = NAME.chars().count() + PURPOSE.chars().count();
    assert_eq!(
        svg.matches("<path ").count(),
        glyphs + 2,
        "ring, star, glyphs"
    );
    assert_eq!(svg.matches("<path ").count(), svg.matches("\"/>").count());
    for d in svg.split("d=\"").skip(1) {
        let d = &d[..d.find('"').unwrap()];
        assert!(d.starts_with('M') && d.ends_with('Z'));
        for n in d.split(|c: char| c.is_ascii_alphabetic() || c == ' ') {
            if !n.is_empty() {
                let n: f32 = n.parse().unwrap();
                assert!(
                    (0.0..=40.0).contains(&n),
                    "coordinate {n} outside the viewBox"
                );
            }
        }
    }

    let mut big = office_seal();
    big.diameter_mm = 42.0;
    let svg = big.to_svg(&font()).unwrap();
    assert!(svg.contains(r#"width="42mm" height="42mm" viewBox="0 0 42 42""#));
}

#[test]
fn rendering_is_deterministic() {
    let font = font();
    let seal = office_seal();
    assert_eq!(
        seal.to_png(&font, PX).unwrap(),
        seal.to_png(&font, PX).unwrap()
    );
    assert_eq!(seal.to_svg(&font).unwrap(), seal.to_svg(&font).unwrap());
    let mut other = office_seal();
    other.office_name = "某某市人民政府办公厅".into();
    assert_ne!(seal.to_svg(&font).unwrap(), other.to_svg(&font).unwrap());
}

#[test]
fn system_font_is_found() {
    font();
    let svg = office_seal().to_svg(&SealFont::system().unwrap()).unwrap();
    assert_eq!(svg, office_seal().to_svg(&font()).unwrap());
}

fn invalid(result: eseal::Result<impl Sized>) -> String {
    match result {
        Err(Error::Invalid(msg)) => msg,
        Err(e) => panic!("expected Error::Invalid, got {e:?}"),
        Ok(_) => panic!("expected Error::Invalid, got a picture"),
    }
}

#[test]
fn missing_glyph_is_invalid() {
    let font = font();
    let seal = SealPicture::new("某某市\u{10FFFF}局");
    let msg = invalid(seal.to_png(&font, PX));
    assert!(msg.contains("U+10FFFF"), "{msg}");
    invalid(seal.to_svg(&font));
    let mut seal = office_seal();
    seal.purpose = Some("合同\u{F8FF}专用章".into());
    assert!(invalid(seal.to_svg(&font)).contains("U+F8FF"));
}

#[test]
fn input_limits() {
    let font = font();
    invalid(SealPicture::new("").to_svg(&font));
    invalid(SealPicture::new("   ").to_svg(&font));
    invalid(SealPicture::new("局".repeat(41)).to_svg(&font));
    SealPicture::new("局".repeat(40)).to_svg(&font).unwrap();

    let mut seal = office_seal();
    seal.purpose = Some("章".repeat(21));
    invalid(seal.to_svg(&font));
    seal.purpose = Some("章".repeat(20));
    seal.to_svg(&font).unwrap();

    let seal = office_seal();
    invalid(seal.to_png(&font, 15));
    invalid(seal.to_png(&font, 4097));
    seal.to_png(&font, 16).unwrap();

    let mut seal = office_seal();
    seal.diameter_mm = f32::NAN;
    invalid(seal.to_svg(&font));
}

#[test]
fn bad_font_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.ttf");
    std::fs::write(&junk, b"not a font").unwrap();
    assert!(matches!(
        SealFont::from_file(&junk),
        Err(Error::Malformed { what: "font", .. })
    ));
    assert!(matches!(
        SealFont::from_file(&dir.path().join("none.ttf")),
        Err(Error::Io { .. })
    ));
}

/// Every pixel of a PNG as stored (not premultiplied): width, height and RGBA bytes.
fn stored_rgba(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(
        (frame.color_type, frame.bit_depth),
        (png::ColorType::Rgba, png::BitDepth::Eight)
    );
    buffer.truncate(frame.buffer_size());
    (frame.width, frame.height, buffer)
}

/// The pixels with alpha 0 and whether each is stored white.
fn transparent_pixels(rgba: &[u8]) -> (usize, usize) {
    let clear: Vec<&[u8]> = rgba.chunks(4).filter(|p| p[3] == 0).collect();
    let white = clear.iter().filter(|p| **p == [255, 255, 255, 0]).count();
    (clear.len(), white)
}

#[test]
fn transparent_pixels_are_stored_white_for_renderers_that_ignore_alpha() {
    let png_bytes = office_seal().to_png(&font(), PX).unwrap();
    let (width, height, rgba) = stored_rgba(&png_bytes);
    assert_eq!((width, height), (PX, PX));
    let (clear, white) = transparent_pixels(&rgba);
    assert!(clear > (PX * PX / 4) as usize, "{clear} transparent pixels");
    assert_eq!(
        white, clear,
        "every fully transparent pixel is (255,255,255,0)"
    );
    assert_eq!(&rgba[..4], &eseal::seal::picture::TRANSPARENT);
    // The committed pictures, made by examples/seal_picture.rs, are stored the same way.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/seal-picture");
    for name in ["office-seal.png", "office-seal-code.png"] {
        let (_, _, rgba) = stored_rgba(&std::fs::read(dir.join(name)).unwrap());
        let (clear, white) = transparent_pixels(&rgba);
        assert!(clear > 0, "{name}");
        assert_eq!(white, clear, "{name}");
    }
}

#[test]
fn pillow_reads_transparent_pixels_as_white_with_alpha_zero() {
    let python = common::python_with("ESEAL_PILLOW_PYTHON", "pillow-venv", &["PIL"], &["pillow"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seal.png");
    std::fs::write(&path, office_seal().to_png(&font(), PX).unwrap()).unwrap();
    let script = "import sys\nfrom PIL import Image\n\
        im = Image.open(sys.argv[1])\n\
        px = list(im.getdata())\n\
        clear = [p for p in px if p[3] == 0]\n\
        print(im.mode, len(clear), sum(1 for p in clear if p == (255, 255, 255, 0)), \
        im.convert('RGB').getpixel((0, 0)))\n";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let fields: Vec<&str> = text.trim().splitn(4, ' ').collect();
    assert_eq!(fields[0], "RGBA", "{text}");
    assert_eq!(fields[1], fields[2], "{text}");
    assert!(fields[1].parse::<u32>().unwrap() > PX * PX / 4, "{text}");
    // Alpha dropped, as a renderer ignoring it would: the corner is white.
    assert_eq!(fields[3], "(255, 255, 255)", "{text}");
}
