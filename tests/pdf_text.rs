//! Keyword search on PDF pages (`eseal::pdf::text::find_keyword`, PDF.md §1 "Placement"):
//! hand-built files whose glyph boxes are computed here from the widths they declare, and
//! the pyHanko vectors in ../shared/vectors/pdf/pyhanko.

use std::path::Path;

use eseal::Error;
use eseal::pdf::Document;
use eseal::pdf::filter::deflate;
use eseal::pdf::sample::pdf_from_objects;
use eseal::pdf::text::{KeywordHit, find_keyword};

// ---------------------------------------------------------------------------------------
// Building PDFs

fn obj(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

/// A stream object with `entries` in its dictionary.
fn stream(entries: &str, data: &[u8]) -> Vec<u8> {
    eseal::pdf::sample::stream(entries.as_bytes(), data)
}

fn search(pdf: &[u8], keyword: &str, occurrence: usize) -> eseal::Result<KeywordHit> {
    let doc = Document::parse(pdf)?;
    let rev = doc.latest();
    let pages = doc.pages(rev)?;
    find_keyword(&doc, rev, &pages, keyword, occurrence)
}

#[track_caller]
fn assert_hit(hit: &eseal::Result<KeywordHit>, page: usize, rect: [f64; 4]) {
    let hit = hit
        .as_ref()
        .unwrap_or_else(|e| panic!("expected a hit on page {page}, got {e}"));
    assert_eq!(hit.page, page, "page of {hit:?}");
    for (got, want) in hit.rect.iter().zip(rect) {
        assert!(
            (got - want).abs() <= 0.5,
            "rect {:?}, expected {rect:?}",
            hit.rect
        );
    }
}

#[track_caller]
fn assert_not_found(result: eseal::Result<KeywordHit>, keyword: &str, occurrence: usize) {
    match result {
        Err(Error::KeywordNotFound {
            keyword: k,
            occurrence: o,
        }) => {
            assert_eq!(k, keyword);
            assert_eq!(o, occurrence);
        }
        other => panic!("expected KeywordNotFound for {keyword:?} #{occurrence}, got {other:?}"),
    }
}

/// Helvetica's widths of the codes 32–126 (Adobe AFM).
const HELVETICA: [u32; 95] = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The width of `text` in Helvetica at `size`.
fn helvetica(text: &str, size: f64) -> f64 {
    text.bytes()
        .map(|b| f64::from(HELVETICA[usize::from(b - 32)]))
        .sum::<f64>()
        * size
        / 1000.0
}

fn widths_array(widths: &[u32]) -> String {
    let list: Vec<String> = widths.iter().map(u32::to_string).collect();
    format!("[{}]", list.join(" "))
}

/// One page of Latin text in simple fonts: a Flate content stream and a plain one
/// (split inside a text object), inline images, `q`/`Q`, `Tc`, `Tz`, `TJ`, `'` and `"`.
fn latin_pdf() -> Vec<u8> {
    let part1 = deflate(
        b"q 2 0 0 2 0 0 cm BI /W 5 /H 1 /BPC 8 /CS /G ID\n1 EI(\nEI Q\n\
          BI /W 2 /H 1 /BPC 8 /CS /G /F /AHx ID 4142> EI\n\
          BT /F1 12 Tf 100 700 Td",
    );
    let part2 = b"(Hello World) Tj ET\n\
        BT /F1 12 Tf 100 650 Td (Foo) Tj 40 0 Td (Bar) Tj ET\n\
        BT /F3 10 Tf 2 Tc 50 Tz 1 0 0 1 72 500 Tm [(AB) -500 (Key)] TJ ET\n\
        BT /F3 10 Tf 0 Tc 100 Tz 1 0 0 1 300 400 Tm 20 TL (abc) ' 4 1 (d ef) \" ET";
    let monospace = widths_array(&[600; 95]);
    pdf_from_objects(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents [4 0 R 5 0 R] \
             /Resources << /Font << /F1 6 0 R /F3 7 0 R >> >> >>"),
        stream("/Filter /FlateDecode", &part1),
        stream("", part2),
        obj(&format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 \
             /Widths {} /Encoding /WinAnsiEncoding >>",
            widths_array(&HELVETICA)
        )),
        obj(&format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 \
             /Widths {monospace} >>"
        )),
    ])
}

#[test]
fn simple_font_hello_world() {
    let pdf = latin_pdf();
    // `Hello ` before it, both at 12 pt from (100, 700); boxes from 0.2 em below to 0.8 em above.
    let x1 = 100.0 + helvetica("Hello ", 12.0);
    let x2 = x1 + helvetica("World", 12.0);
    assert_hit(&search(&pdf, "World", 0), 0, [x1, 697.6, x2, 709.6]);
    assert_hit(
        &search(&pdf, "Hello World", 0),
        0,
        [100.0, 697.6, x2, 709.6],
    );
    assert_hit(&search(&pdf, "HelloWorld", 0), 0, [100.0, 697.6, x2, 709.6]);
}

#[test]
fn spacing_scaling_and_kerning() {
    let pdf = latin_pdf();
    // 600-unit glyphs at 10 pt with 2 pt character spacing, 50 % horizontal scaling and a
    // -500 kerning: each glyph advances (6 + 2) × 0.5 = 4 and is 3 wide; the kerning moves 2.5.
    assert_hit(&search(&pdf, "Key", 0), 0, [82.5, 498.0, 93.5, 508.0]);
    assert_hit(&search(&pdf, "ABKey", 0), 0, [72.0, 498.0, 93.5, 508.0]);
    // The 2.5 pt kerning is 0.25 em: a gap, so a spaced keyword matches too.
    assert_hit(&search(&pdf, "AB Key", 0), 0, [72.0, 498.0, 93.5, 508.0]);
    // `'` moves to the next line (leading 20); `"` sets word spacing 4 and character spacing 1.
    assert_hit(&search(&pdf, "abc", 0), 0, [300.0, 378.0, 318.0, 388.0]);
    assert_hit(&search(&pdf, "ef", 0), 0, [318.0, 358.0, 331.0, 368.0]);
    assert_hit(&search(&pdf, "d ef", 0), 0, [300.0, 358.0, 331.0, 368.0]);
}

#[test]
fn layout_gaps_count_as_white_space() {
    let pdf = latin_pdf();
    let foo = helvetica("Foo", 12.0);
    let bar = [140.0, 647.6, 140.0 + helvetica("Bar", 12.0), 659.6];
    assert!(foo < 40.0);
    assert_hit(&search(&pdf, "Bar", 0), 0, bar);
    assert_hit(
        &search(&pdf, "Foo Bar", 0),
        0,
        [100.0, 647.6, bar[2], 659.6],
    );
    assert_hit(
        &search(&pdf, " Foo \n Bar ", 0),
        0,
        [100.0, 647.6, bar[2], 659.6],
    );
    assert_hit(&search(&pdf, "FooBar", 0), 0, [100.0, 647.6, bar[2], 659.6]);
    // No gap inside a word.
    assert_not_found(search(&pdf, "Wor ld", 0), "Wor ld", 0);
}

#[test]
fn not_found_is_keyword_not_found() {
    let pdf = latin_pdf();
    assert_not_found(search(&pdf, "Nowhere", 0), "Nowhere", 0);
    assert_not_found(search(&pdf, "World", 1), "World", 1);
    assert_not_found(search(&pdf, "world", 0), "world", 0);
    assert!(matches!(search(&pdf, " \t", 0), Err(Error::Invalid(_))));
}

// ---------------------------------------------------------------------------------------
// CJK

/// A ToUnicode CMap mapping the codes 1, 2, … to `text`'s characters (a `bfrange` array for
/// the first two, `bfchar` for the rest).
fn to_unicode(text: &str) -> Vec<u8> {
    let units: Vec<String> = text
        .chars()
        .map(|c| format!("<{:04X}>", c as u32))
        .collect();
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
         1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
    );
    cmap += &format!(
        "1 beginbfrange <0001> <0002> [{} {}] endbfrange\n",
        units[0], units[1]
    );
    cmap += &format!("{} beginbfchar\n", units.len() - 2);
    for (i, u) in units.iter().enumerate().skip(2) {
        cmap += &format!("<{:04X}> {u}\n", i + 1);
    }
    cmap += "endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n";
    stream("", cmap.as_bytes())
}

/// Two pages of 营业执照 in Type0 fonts: Identity-H with /W and ToUnicode under a `cm` and a
/// `Tm`, UniGB-UCS2-H without ToUnicode; on page 2 inside a (self-referencing) form
/// XObject with a /Matrix, and in an Identity-V font.
fn cjk_pdf() -> Vec<u8> {
    let page1 = "q 1.5 0 0 1.5 10 20 cm BT /F2 20 Tf 1 0 0 1 100 400 Tm <0001000200030004> Tj ET Q\n\
                 BT /F5 16 Tf 100 300 Td <84254E1A> Tj ET";
    let page2 = "q 1 0 0 1 50 60 cm /Fm1 Do Q\n\
                 BT /F4 10 Tf 1 0 0 1 300 500 Tm <00010002> Tj ET";
    let form = "BT /F2 10 Tf 5 10 Td [<00010002> -500 <00030004>] TJ ET /Fm1 Do";
    pdf_from_objects(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 5 0 R \
             /Resources << /Font << /F2 7 0 R /F5 10 0 R >> >> >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 6 0 R \
             /Resources << /Font << /F4 12 0 R >> /XObject << /Fm1 13 0 R >> >> >>"),
        stream("/Filter /FlateDecode", &deflate(page1.as_bytes())),
        stream("", page2.as_bytes()),
        obj(
            "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H \
             /DescendantFonts [8 0 R] /ToUnicode 9 0 R >>",
        ),
        obj("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
             /W [1 [1000 1000] 3 4 500] /DW 1000 >>"),
        to_unicode("营业执照"),
        obj(
            "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
             /DescendantFonts [11 0 R] >>",
        ),
        obj(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> >>",
        ),
        obj(
            "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-V \
             /DescendantFonts [8 0 R] /ToUnicode 9 0 R >>",
        ),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Matrix [2 0 0 2 0 0] \
             /Resources << /Font << /F2 7 0 R >> /XObject << /Fm1 13 0 R >> >>",
            form.as_bytes(),
        ),
    ])
}

#[test]
fn cjk_identity_h_with_to_unicode_under_cm_and_tm() {
    let pdf = cjk_pdf();
    // 执 and 照 are 500 units wide after two 1000-unit glyphs: text space x 140–160 at
    // 20 pt, y 396–416; the cm scales by 1.5 and moves by (10, 20).
    assert_hit(&search(&pdf, "执照", 0), 0, [220.0, 614.0, 250.0, 644.0]);
    assert_hit(
        &search(&pdf, "营业执照", 0),
        0,
        [160.0, 614.0, 250.0, 644.0],
    );
}

#[test]
fn cjk_second_occurrence_in_a_form_on_page_two() {
    let pdf = cjk_pdf();
    // In the form: 执 at 30–35 after the -500 kerning (5 pt at 10 pt), 照 35–40, y 8–18;
    // the form's /Matrix doubles, the cm moves by (50, 60).
    assert_hit(&search(&pdf, "执照", 1), 1, [110.0, 76.0, 130.0, 96.0]);
    assert_not_found(search(&pdf, "执照", 2), "执照", 2);
}

#[test]
fn cjk_ucs2_without_to_unicode_and_vertical_writing() {
    let pdf = cjk_pdf();
    // UniGB-UCS2-H codes are the text; widths /DW 1000 by default.
    assert_hit(&search(&pdf, "营业", 1), 0, [100.0, 296.8, 132.0, 312.8]);
    // The form's 营业 is occurrence 2; the Identity-V one is 3: centred on x = 300, each
    // glyph 1 em down from the previous, its box 0.88 em below its origin.
    assert_hit(&search(&pdf, "营业", 2), 1, [60.0, 76.0, 100.0, 96.0]);
    assert_hit(&search(&pdf, "营业", 3), 1, [295.0, 479.2, 305.0, 499.2]);
    assert_not_found(search(&pdf, "营业", 4), "营业", 4);
}

// ---------------------------------------------------------------------------------------
// Hostile content

fn one_page(content: &[u8]) -> Vec<u8> {
    pdf_from_objects(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R \
             /Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> >>"),
        stream("", content),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"),
        stream(
            "/Subtype /Form /Resources << /XObject << /X 6 0 R >> >>",
            b"/X Do /X Do",
        ),
    ])
}

#[test]
fn hostile_content_does_not_panic() {
    let mut cases: Vec<Vec<u8>> = vec![
        b"q ".repeat(100_000),
        b"Q ".repeat(1000),
        b"BT /F1 12 Tf (a) Tj ] } ) > /F1 1e9 Tf 3.4.5 -- cm (b) Tj ET".to_vec(),
        b"BT /F1 12 Tf [(a) [[[[(b)]]]] 1 2 3] TJ /Nope 12 Tf (c) Tj Tj TJ ' \" ET".to_vec(),
        b"BI /W 100000 /H 100000 /BPC 8 /CS /RGB ID xyz".to_vec(),
        b"/X Do ".repeat(1000),
        b"1 2 3 4 5 6 7 8 9 ".repeat(10_000),
        b"BT /F1 12 Tf 0 0 0 0 0 0 Tm 0 Tz (zero) Tj 1e300 1e300 1e300 1e300 0 0 Tm (big) Tj ET ("
            .to_vec(),
    ];
    cases.push((0..=255u8).cycle().take(100_000).collect());
    cases.push(b"[".repeat(100_000));
    for content in cases {
        let pdf = one_page(&content);
        let _ = search(&pdf, "zero", 0);
        let _ = search(&pdf, "a b", 0);
    }
    // What precedes a syntax error still counts.
    let pdf = one_page(b"BT /F1 10 Tf 10 10 Td (found) Tj ET (unterminated");
    assert_hit(&search(&pdf, "found", 0), 0, [10.0, 8.0, 40.0, 18.0]);
}

#[test]
fn operator_budget_is_bounded() {
    let mut content = b"n ".repeat(1_000_001);
    content.extend_from_slice(b"BT /F1 10 Tf (late) Tj ET");
    assert_not_found(search(&one_page(&content), "late", 0), "late", 0);
    let pdf = one_page(b"n n BT /F1 10 Tf (late) Tj ET");
    assert_hit(&search(&pdf, "late", 0), 0, [0.0, -2.0, 24.0, 8.0]);
}

#[test]
fn a_page_that_cannot_be_read_does_not_stop_the_search() {
    let pdf = pdf_from_objects(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>"),
        obj(
            "<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Resources << /Font << /F1 7 0 R >> >> >>",
        ),
        stream("/Filter /FlateDecode", b"not zlib"),
        stream("", b"BT /F1 10 Tf 10 10 Td (found) Tj ET"),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"),
    ]);
    assert_hit(&search(&pdf, "found", 0), 1, [10.0, 8.0, 40.0, 18.0]);
    assert_not_found(search(&pdf, "lost", 0), "lost", 0);
    // With nothing readable, the reason is reported instead.
    let doc = Document::parse(&pdf).unwrap();
    let pages = doc.pages(doc.latest()).unwrap();
    let err = find_keyword(&doc, doc.latest(), &pages[..1], "found", 0).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Real-world files

fn pyhanko(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/pdf/pyhanko")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn pyhanko_vectors_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/pdf/pyhanko");
    let mut searched = 0;
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let Ok(doc) = Document::parse(&data) else {
            continue;
        };
        let rev = doc.latest();
        let Ok(pages) = doc.pages(rev) else { continue };
        for keyword in ["Hello", "test", "テスト", "Hello World"] {
            searched += 1;
            if find_keyword(&doc, rev, &pages, keyword, 0).is_ok() {
                found += 1;
            }
        }
    }
    assert!(searched > 300, "{searched} searches");
    assert!(found > 100, "{found} hits");
}

#[test]
fn pyhanko_hello_world_in_times() {
    // `0 0 Td (Hello World) Tj` in Times-Roman 18 pt without /Widths: the standard metrics.
    let hello = 722.0 + 444.0 + 278.0 + 278.0 + 500.0 + 250.0;
    let world = 944.0 + 500.0 + 333.0 + 278.0 + 500.0;
    let (x1, x2) = (hello * 0.018, (hello + world) * 0.018);
    assert_hit(
        &search(&pyhanko("minimal.pdf"), "World", 0),
        0,
        [x1, -3.6, x2, 14.4],
    );
    let second = 556.0 + 444.0 + 444.0 + 500.0 + 500.0 + 500.0 + 250.0;
    let page = 556.0 + 444.0 + 500.0 + 444.0;
    assert_hit(
        &search(&pyhanko("minimal-two-pages.pdf"), "Page", 0),
        1,
        [second * 0.018, -3.6, (second + page) * 0.018, 14.4],
    );
}

#[test]
fn pyhanko_cjk_files() {
    // fontembed.pdf: `BT /FEmb 18 Tf 0 100 Td <0637062a0639> Tj ET`, an embedded Noto Serif
    // JP subset with Identity-H, ToUnicode and 1000-unit glyphs.
    assert_hit(
        &search(&pyhanko("fontembed.pdf"), "テスト", 0),
        0,
        [0.0, 96.4, 54.0, 114.4],
    );
    assert_hit(
        &search(&pyhanko("fontembed.pdf"), "スト", 0),
        0,
        [18.0, 96.4, 54.0, 114.4],
    );
    // Text set vertically glyph by glyph in a stamp's form XObject.
    let pdf = pyhanko("layout-tests__ja-vert-stamps.pdf");
    let hit = search(&pdf, "縦書き", 0).unwrap();
    assert_eq!(hit.page, 0);
    let [x1, y1, x2, y2] = hit.rect;
    assert!(
        x2 > x1 && y2 - y1 > 2.0 * (x2 - x1),
        "a tall box: {:?}",
        hit.rect
    );
    assert!(search(&pdf, "縦書き", 1).is_ok());
    // A ligature glyph mapped to two characters by ToUnicode.
    assert_eq!(
        search(
            &pyhanko("layout-tests__source-serif-test.pdf"),
            "difficult",
            0
        )
        .unwrap()
        .page,
        0
    );
}
