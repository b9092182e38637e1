//! The licence as an OFD (GB/T 33190-2016): the sample 营业执照 rendered with the installed
//! Droid Sans Fallback font, read back with eseal's package reader and quick-xml, its
//! embedded font checked with ttf-parser, sealed where the layout puts the seal and
//! verified, and read by two OFD readers nobody here wrote
//! (the Python packages ofdkit, for the text, and ofd2img, which draws the page with the
//! embedded font into a PDF that poppler then reads).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use common::{Hierarchy, test_seal};
use eseal::Error;
use eseal::crypto::Algorithm;
use eseal::licence::compact::qr_code;
use eseal::licence::document::{LicenceDocument, RenderedOfd, render_ofd, render_pdf};
use eseal::licence::model::Template;
use eseal::licence::sample;
use eseal::ofd::{OfdPlacement, OfdSealOptions, Package, VerifyOptions, seal_ofd, verify_ofd};
use eseal::pki::Profile;
use eseal::report::Indication;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

const NAMESPACE: &str = "http://www.ofdspec.org/2016";
const AT: i64 = 1_772_416_800;
const MM: f32 = 72.0 / 25.4;
const FONT_PATH: &str = "/Doc_0/Res/DroidSansFallback.ttf";
const PATHS: [&str; 5] = [
    "/OFD.xml",
    "/Doc_0/Document.xml",
    "/Doc_0/PublicRes.xml",
    FONT_PATH,
    "/Doc_0/Pages/Page_0/Content.xml",
];

/// A QR text of Base45 characters, the same every time.
fn qr_text() -> String {
    common::qr_text(0x1234_5679, 300)
}

fn template() -> Template {
    sample::business_template()
}

/// The sample licence (LICENCE.md §1) as printed, with a 核验码.
fn sample_document() -> LicenceDocument {
    let licence = sample::business_request(0)
        .to_licence(&template(), &sample::office(), "20260000001", AT)
        .unwrap();
    licence.document(&template(), &qr_text(), Some("MFRGGZDFMZTWQ2LK".into()))
}

fn rendered() -> RenderedOfd {
    render_ofd(&sample_document(), &common::cjk_font()).unwrap()
}

fn package(ofd: &RenderedOfd) -> Package<'static> {
    Package::read(ofd.bytes().to_vec()).unwrap()
}

fn file<'a>(package: &'a Package, path: &str) -> &'a str {
    let data = package
        .get(path)
        .unwrap_or_else(|| panic!("{path} missing"));
    std::str::from_utf8(data).unwrap()
}

/// One element as read: its name, attributes, and text (entities resolved).
#[derive(Debug)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
    text: String,
}

fn element(start: &BytesStart<'_>) -> Element {
    let attributes = start
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            let value = quick_xml::escape::unescape(std::str::from_utf8(&a.value).unwrap())
                .unwrap()
                .into_owned();
            (
                std::str::from_utf8(a.key.as_ref()).unwrap().to_owned(),
                value,
            )
        })
        .collect();
    Element {
        name: std::str::from_utf8(start.name().as_ref())
            .unwrap()
            .to_owned(),
        attributes,
        text: String::new(),
    }
}

/// Parses `xml` strictly (end tags must match), returning every element in document
/// order; a parse error fails the test.
fn parse(xml: &str) -> Vec<Element> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut elements = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut raw = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                elements.push(element(&e));
                open.push(elements.len() - 1);
                raw.clear();
            }
            Event::Empty(e) => elements.push(element(&e)),
            Event::Text(t) => raw.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                raw.push('&');
                raw.push_str(&r.decode().unwrap());
                raw.push(';');
            }
            Event::End(_) => {
                let index = open.pop().expect("an end tag without start");
                elements[index].text = quick_xml::escape::unescape(&raw).unwrap().into_owned();
                raw.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(open.is_empty(), "unclosed elements");
    elements
}

fn attr<'a>(element: &'a Element, name: &str) -> &'a str {
    element
        .attributes
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}: {element:?}", element.name))
}

fn numbers(text: &str) -> Vec<f32> {
    text.split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

fn content(ofd: &RenderedOfd) -> Vec<Element> {
    parse(file(&package(ofd), "/Doc_0/Pages/Page_0/Content.xml"))
}

/// The text of every `TextCode`, in order.
fn text_codes(elements: &[Element]) -> Vec<String> {
    elements
        .iter()
        .filter(|e| e.name == "ofd:TextCode")
        .map(|e| e.text.clone())
        .collect()
}

#[test]
fn the_package_holds_the_ofd_files_and_points_to_them() {
    let ofd = rendered();
    let package = package(&ofd);
    let paths: Vec<String> = package.entries().iter().map(|e| e.path()).collect();
    assert_eq!(paths, PATHS);

    let root = parse(file(&package, "/OFD.xml"));
    assert_eq!(root[0].name, "ofd:OFD");
    assert_eq!(attr(&root[0], "Version"), "1.0");
    assert_eq!(attr(&root[0], "DocType"), "OFD");
    let text_of = |elements: &[Element], name: &str| {
        elements
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.text.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(text_of(&root, "ofd:DocRoot"), "Doc_0/Document.xml");
    assert_eq!(text_of(&root, "ofd:Title"), "营业执照");
    assert_eq!(text_of(&root, "ofd:CreationDate"), "2026-03-02");
    assert_eq!(text_of(&root, "ofd:Creator"), "eseal");
    let doc_id = text_of(&root, "ofd:DocID");
    assert!(
        doc_id.len() == 32 && doc_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{doc_id}"
    );

    let document = parse(file(&package, "/Doc_0/Document.xml"));
    assert_eq!(text_of(&document, "ofd:PhysicalBox"), "0 0 210 297");
    assert_eq!(text_of(&document, "ofd:PublicRes"), "PublicRes.xml");
    let pages: Vec<&Element> = document.iter().filter(|e| e.name == "ofd:Page").collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(attr(pages[0], "BaseLoc"), "Pages/Page_0/Content.xml");

    let res = parse(file(&package, "/Doc_0/PublicRes.xml"));
    assert_eq!(attr(&res[0], "BaseLoc"), "Res");
    let font = res.iter().find(|e| e.name == "ofd:Font").unwrap();
    assert_eq!(attr(font, "FontName"), "DroidSansFallback");
    assert_eq!(attr(font, "FamilyName"), "Droid Sans Fallback");
    assert_eq!(text_of(&res, "ofd:FontFile"), "DroidSansFallback.ttf");
    // Every TextObject uses that font.
    for object in content(&ofd).iter().filter(|e| e.name == "ofd:TextObject") {
        assert_eq!(attr(object, "Font"), attr(font, "ID"));
    }
}

#[test]
fn every_element_is_in_the_ofd_namespace_with_unique_ids_up_to_max_unit_id() {
    let ofd = rendered();
    let package = package(&ofd);
    let mut ids = BTreeSet::new();
    for path in PATHS.iter().filter(|p| p.ends_with(".xml")) {
        let text = file(&package, path);
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{path}"
        );
        let elements = parse(text);
        assert_eq!(attr(&elements[0], "xmlns:ofd"), NAMESPACE, "{path}");
        for e in &elements {
            assert!(e.name.starts_with("ofd:"), "{path}: {}", e.name);
            if let Some(id) = e.attributes.get("ID") {
                let id: u32 = id.parse().unwrap();
                assert!(ids.insert(id), "{path}: ID {id} used twice");
            }
        }
    }
    let document = parse(file(&package, "/Doc_0/Document.xml"));
    let max = document.iter().find(|e| e.name == "ofd:MaxUnitID").unwrap();
    assert_eq!(max.text.parse::<u32>().unwrap(), *ids.last().unwrap());
    assert_eq!(
        ids.len(),
        ids.last().copied().unwrap() as usize,
        "IDs 1..=max"
    );
}

#[test]
fn the_surface_fields_appear_in_text_codes() {
    let doc = sample_document();
    let texts: String = text_codes(&content(&rendered())).concat();
    let mut wanted = vec![
        "营业执照".to_owned(),
        format!("编号：{}", doc.number.clone().unwrap()),
        "长春某某科技发展有限公司".to_owned(),
        "有限责任公司（自然人投资或控股）".to_owned(),
        "2020年03月15日".to_owned(),
        "吉林省长春市朝阳区人民大街1000号".to_owned(),
        sample::OFFICE_NAME.to_owned(),
        "2026年03月02日".to_owned(),
        "核验码：MFRGGZDFMZTWQ2LK".to_owned(),
        format!("证照标识：{}", doc.identifier),
    ];
    for (label, value) in &doc.fields {
        wanted.push(label.clone());
        // Wrapped values are split between lines, but not within a character.
        wanted.push(value.replace('\n', ""));
    }
    for w in wanted {
        assert!(texts.contains(&w), "no TextCode holds {w:?}: {texts}");
    }
}

#[test]
fn ascii_set_in_fullwidth_glyphs_is_condensed_by_its_ctm() {
    let elements = content(&rendered());
    let objects: Vec<(&Element, &Element)> = elements
        .windows(2)
        .filter(|w| w[0].name == "ofd:TextObject")
        .map(|w| (&w[0], &w[1]))
        .collect();
    let size = 12.0 / MM;
    // The USCC row's value (the number top right is smaller).
    let code = objects
        .iter()
        .find(|(object, text)| {
            text.text == sample::company_code(0).to_string()
                && (attr(object, "Size").parse::<f32>().unwrap() - size).abs() < 0.001
        })
        .expect("the USCC in a text object of its own");
    assert_eq!(attr(code.0, "CTM"), "0.6 0 0 1 0 0");
    // Natural advances (1 em) before the CTM.
    let deltas = numbers(attr(code.1, "DeltaX"));
    assert_eq!(deltas.len(), 17);
    assert!(
        deltas.iter().all(|d| (d - size).abs() < 0.001),
        "{deltas:?}"
    );
    // Chinese text is not scaled.
    let title = objects.iter().find(|(_, t)| t.text == "营业执照").unwrap();
    assert!(!title.0.attributes.contains_key("CTM"));
}

/// Every character of every `TextCode` maps through the embedded font's `cmap` to a glyph
/// with an outline (spaces aside), as an OFD reader looks them up.
#[test]
fn the_embedded_font_maps_every_character_used_to_a_glyph() {
    let ofd = rendered();
    let package = package(&ofd);
    let data = package.get(FONT_PATH).unwrap();
    assert!(
        data.len() < 100_000,
        "{} bytes: the font is not subset",
        data.len()
    );
    let face = ttf_parser::Face::parse(data, 0).unwrap();
    assert!(face.tables().cmap.is_some() && face.tables().os2.is_some());
    let chars: BTreeSet<char> = text_codes(&content(&ofd)).concat().chars().collect();
    assert!(chars.len() > 100);
    for c in chars {
        let glyph = face
            .glyph_index(c)
            .unwrap_or_else(|| panic!("{c:?} not in the cmap"));
        assert_ne!(glyph.0, 0, "{c:?} maps to .notdef");
        if !c.is_whitespace() && c != '\u{3000}' {
            assert!(
                face.glyph_bounding_box(glyph).is_some(),
                "{c:?} maps to an empty glyph"
            );
        }
    }
    // A character not printed is not in the subset.
    assert_eq!(face.glyph_index('龍'), None);
    // ASCII the font lacks maps to the fullwidth form's glyph.
    let source = std::fs::read(
        std::env::var_os("ESEAL_CJK_FONT")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
            }),
    )
    .unwrap();
    let original = ttf_parser::Face::parse(&source, 0).unwrap();
    let advance = |face: &ttf_parser::Face<'_>, c: char| {
        face.glyph_hor_advance(face.glyph_index(c).unwrap())
            .unwrap()
    };
    assert_eq!(advance(&face, '9'), advance(&original, '９'));
    assert_eq!(advance(&face, '营'), advance(&original, '营'));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let font = common::cjk_font();
    let first = render_ofd(&sample_document(), &font).unwrap();
    let second = render_ofd(&sample_document(), &font).unwrap();
    assert_eq!(first, second);
    assert_eq!(&first.bytes()[..4], b"PK\x03\x04");
    let mut other = sample_document();
    other.issue_date = "2026年03月03日".into();
    let changed = render_ofd(&other, &font).unwrap();
    assert_ne!(changed.bytes(), first.bytes());
    let root = parse(file(&package(&changed), "/OFD.xml"));
    let date = root.iter().find(|e| e.name == "ofd:CreationDate").unwrap();
    assert_eq!(date.text, "2026-03-03");
    let bytes = first.clone().into_bytes();
    assert_eq!(bytes, first.bytes());
    eprintln!("licence OFD: {} bytes", bytes.len());
}

#[test]
fn the_seal_goes_where_the_pdf_puts_it_over_the_issuer_and_date() {
    let doc = sample_document();
    let ofd = render_ofd(&doc, &common::cjk_font()).unwrap();
    let [x1, y1, x2, y2] = render_pdf(&doc, &common::cjk_font()).unwrap().seal_rect;
    let OfdPlacement::Page {
        page: 0,
        boundary: Some(boundary),
    } = ofd.seal_placement()
    else {
        panic!("{:?}", ofd.seal_placement());
    };
    let expected = [x1 / MM, (841.89 - y2) / MM, (x2 - x1) / MM, (y2 - y1) / MM];
    for (got, want) in boundary.iter().zip(expected) {
        assert!(
            (*got as f32 - want).abs() < 0.002,
            "{boundary:?} {expected:?}"
        );
    }
    assert!((boundary[2] - 42.0).abs() < 0.01 && (boundary[3] - 42.0).abs() < 0.01);

    // The text whose boxes lie within the square's height is the issuer name and the
    // date, centred under it.
    let [bx, by, bw, bh] = boundary.map(|v| v as f32);
    let elements = content(&ofd);
    let mut under = String::new();
    let (mut left, mut right) = (f32::MAX, f32::MIN);
    for w in elements
        .windows(2)
        .filter(|w| w[0].name == "ofd:TextObject")
    {
        let b = numbers(attr(&w[0], "Boundary"));
        if b[1] >= by && b[1] + b[3] <= by + bh {
            under.push_str(&w[1].text);
            left = left.min(b[0]);
            right = right.max(b[0] + b[2]);
        }
    }
    assert_eq!(under, format!("{}{}", doc.issuer_name, doc.issue_date));
    assert!(
        ((left + right) / 2.0 - (bx + bw / 2.0)).abs() < 2.0,
        "{left}..{right} not centred under {boundary:?}"
    );
}

#[test]
fn the_rendered_licence_seals_and_verifies_with_the_stamp_at_the_seal_placement() {
    let ofd = rendered();
    let OfdPlacement::Page {
        boundary: Some(placement_boundary),
        ..
    } = ofd.seal_placement()
    else {
        panic!("{:?}", ofd.seal_placement());
    };
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, sample::OFFICE_NAME, -1, 365);
    let seal = test_seal(&hierarchy, &cert, "2200000000001");
    let mut options = OfdSealOptions::new(&seal, &key, &cert);
    options.placement = ofd.seal_placement();
    let unsealed = package(&ofd);
    let sealed = Package::read(seal_ofd(&unsealed, &options).unwrap()).unwrap();
    for path in PATHS.iter().filter(|p| **p != "/OFD.xml") {
        assert_eq!(sealed.get(path), unsealed.get(path), "{path} changed");
    }

    let report = verify_ofd(
        &sealed,
        &hierarchy.store(),
        SystemTime::now(),
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.signatures.len(), 1);
    let signature = &report.signatures[0];
    assert_eq!(
        signature.indication,
        Indication::TotalPassed,
        "{:?}",
        signature.reasons
    );

    let stamp = sealed
        .entries()
        .iter()
        .filter(|e| e.name().ends_with("/Signature.xml"))
        .flat_map(|e| parse(std::str::from_utf8(e.data().unwrap()).unwrap()))
        .find(|e| e.name == "ofd:StampAnnot")
        .expect("a StampAnnot");
    let document = parse(file(&unsealed, "/Doc_0/Document.xml"));
    let page = document.iter().find(|e| e.name == "ofd:Page").unwrap();
    assert_eq!(attr(&stamp, "PageRef"), attr(page, "ID"));
    let boundary: Vec<f64> = attr(&stamp, "Boundary")
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(boundary, placement_boundary);
}

#[test]
fn the_qr_code_is_one_filled_path_of_dark_module_runs_bottom_left() {
    let elements = content(&rendered());
    let paths: Vec<&Element> = elements
        .iter()
        .filter(|e| e.name == "ofd:PathObject")
        .collect();
    // The double frame, then the QR code.
    assert_eq!(paths.len(), 3);
    let qr = paths[2];
    assert_eq!(attr(qr, "Fill"), "true");
    assert_eq!(attr(qr, "Stroke"), "false");
    let [x, y, w, h]: [f32; 4] = numbers(attr(qr, "Boundary")).try_into().unwrap();
    assert_eq!([x, y, w, h], [22.0, 229.0, 38.0, 38.0]);

    let code = qr_code(&qr_text()).unwrap();
    let n = code.width();
    let module = 38.0 / n as f32;
    let mut expected = Vec::new();
    for row in 0..n {
        let mut column = 0;
        while column < n {
            let start = column;
            while column < n && code[(column, row)] == qrcode::Color::Dark {
                column += 1;
            }
            if column > start {
                expected.push((start, row, column - start));
            }
            column += 1;
        }
    }
    let index = elements.iter().position(|e| std::ptr::eq(e, qr)).unwrap();
    let data = &elements[index + 2].text;
    assert_eq!(elements[index + 2].name, "ofd:AbbreviatedData");
    let rects: Vec<&str> = data
        .split(" C")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(rects.len(), expected.len());
    for (rect, (column, row, length)) in rects.iter().zip(expected) {
        let v: Vec<&str> = rect.split_whitespace().collect();
        assert_eq!((v[0], v[3], v[6], v[9]), ("M", "L", "L", "L"), "{rect}");
        let p = |i: usize| v[i].parse::<f32>().unwrap();
        // Top-left corner first: rows go down the page, as y does in OFD.
        assert!((p(1) - column as f32 * module).abs() < 0.001, "{rect}");
        assert!((p(2) - row as f32 * module).abs() < 0.001, "{rect}");
        assert!(
            (p(4) - (column + length) as f32 * module).abs() < 0.001,
            "{rect}"
        );
        assert!((p(8) - (row + 1) as f32 * module).abs() < 0.001, "{rect}");
    }
}

#[test]
fn markup_in_the_text_is_escaped() {
    let mut doc = sample_document();
    doc.title = "证照<营业执照>&\"'".into();
    doc.fields[0].1 = "A&B <C> 'D' \"E\"".into();
    let ofd = render_ofd(&doc, &common::cjk_font()).unwrap();
    let package = package(&ofd);
    let raw = file(&package, "/Doc_0/Pages/Page_0/Content.xml");
    // ASCII is set apart (condensed fullwidth glyphs), so the title is in three runs.
    for escaped in [
        ">证照</",
        ">&lt;</",
        ">营业执照</",
        ">&gt;&amp;&quot;&apos;</",
        ">A&amp;B</",
        ">&lt;C&gt;</",
        ">&apos;D&apos;</",
        ">&quot;E&quot;</",
    ] {
        assert!(raw.contains(escaped), "no {escaped} in {raw:.3000}");
    }
    let texts = text_codes(&parse(raw)).concat();
    assert!(texts.contains("证照<营业执照>&\"'"), "{texts}");
    // A run of spaces has no text object; readers see the gap.
    assert!(texts.contains("A&B<C>'D'\"E\""), "{texts}");
    let root = parse(file(&package, "/OFD.xml"));
    let title = root.iter().find(|e| e.name == "ofd:Title").unwrap();
    assert_eq!(title.text, doc.title);
}

#[test]
fn an_issue_date_in_another_form_leaves_creation_date_out() {
    let mut doc = sample_document();
    doc.issue_date = "2026年3月2日".into();
    let ofd = render_ofd(&doc, &common::cjk_font()).unwrap();
    let root = file(&package(&ofd), "/OFD.xml").to_owned();
    assert!(!root.contains("CreationDate"), "{root}");
    doc.issue_date = "2026年02月30日".into();
    let root = file(
        &package(&render_ofd(&doc, &common::cjk_font()).unwrap()),
        "/OFD.xml",
    )
    .to_owned();
    assert!(!root.contains("CreationDate"), "{root}");
}

#[test]
fn a_character_the_font_lacks_is_named_as_for_the_pdf() {
    let mut doc = sample_document();
    doc.fields[1].1 = "张三𐤀".into();
    match render_ofd(&doc, &common::cjk_font()) {
        Err(Error::Invalid(message)) => {
            assert!(message.contains("U+10900"), "{message}");
        }
        other => panic!("expected the missing glyph named, got {other:?}"),
    }
    let mut doc = sample_document();
    doc.qr = "zz1:lower case".into();
    assert!(matches!(
        render_ofd(&doc, &common::cjk_font()),
        Err(Error::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Interop with OFD readers nobody here wrote

/// The OFD readers' versions, pinned: ofdkit (pure Python, text in reading order) and
/// ofd2img (draws OFD pages into a PDF with reportlab, embedded fonts included).
const READERS: [&str; 2] = ["ofdkit==0.2.0", "ofd2img==0.1.2"];

/// A Python with the readers: `ESEAL_OFD_PYTHON`, else a venv made under target/.
fn python() -> PathBuf {
    common::python_with(
        "ESEAL_OFD_PYTHON",
        "ofd-interop-venv",
        &["ofdkit", "ofd2img"],
        &READERS,
    )
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/ofd_read.py")
}

/// `text` without any whitespace: readers put spaces where they see gaps.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn wanted(doc: &LicenceDocument) -> Vec<String> {
    vec![
        "营业执照".to_owned(),
        format!("编号：{}", doc.number.clone().unwrap()),
        "持证主体长春某某科技发展有限公司".to_owned(),
        format!("统一社会信用代码{}", sample::company_code(0)),
        "类型有限责任公司（自然人投资或控股）".to_owned(),
        "成立日期2020年03月15日".to_owned(),
        "住所吉林省长春市朝阳区人民大街1000号".to_owned(),
        format!("{}2026年03月02日", sample::OFFICE_NAME),
        "核验码：MFRGGZDFMZTWQ2LK".to_owned(),
        format!("证照标识：{}", doc.identifier),
    ]
}

#[test]
fn ofd_readers_read_the_licence_text() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("licence.ofd");
    std::fs::write(&path, rendered().bytes()).unwrap();
    let doc = sample_document();

    // ofdkit: the text in reading order, and the document's information.
    let out = Command::new(&python)
        .arg(script())
        .arg("text")
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "ofdkit: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (info, text) = stdout.split_once('\n').unwrap();
    assert_eq!(
        info,
        "pages=1 title=营业执照 created=2026-03-02 creator=eseal"
    );
    let text = squeeze(text);
    for w in wanted(&doc) {
        assert!(text.contains(&w), "ofdkit lacks {w:?}: {text}");
    }

    // ofd2img draws the page into a PDF with the embedded font (its own TrueType reader
    // takes the subset and its cmap); poppler reads the text back from that PDF.
    let pdf = dir.path().join("drawn.pdf");
    let out = Command::new(&python)
        .arg(script())
        .arg("pdf")
        .arg(&path)
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ofd2img: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fonts = Command::new("pdffonts").arg(&pdf).output().unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    assert!(
        fonts.contains("+DroidSansFallback"),
        "ofd2img did not draw with the embedded font: {fonts}"
    );
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = squeeze(&String::from_utf8(out.stdout).unwrap());
    for w in ["营业执照", "长春某某科技发展有限公司", sample::OFFICE_NAME] {
        assert!(text.contains(w), "the drawn page lacks {w:?}: {text}");
    }
    assert!(text.contains(&doc.identifier), "{text}");
}
