//! Writes the example seal pictures: `cargo run --example seal_picture -- <folder>`.

use std::path::PathBuf;

use eseal::{SealFont, SealPicture};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "test-vectors/seal-picture".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let font = SealFont::system()?;
    let mut seal = SealPicture::new("某某市市场监督管理局");
    seal.purpose = Some("电子证照专用章".into());
    std::fs::write(dir.join("office-seal.png"), seal.to_png(&font, 512)?)?;
    std::fs::write(dir.join("office-seal.svg"), seal.to_svg(&font)?)?;
    seal.code = Some("3301060012345".into());
    std::fs::write(dir.join("office-seal-code.png"), seal.to_png(&font, 512)?)?;
    println!("wrote {}", dir.display());
    Ok(())
}
