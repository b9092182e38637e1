//! `eseal seal make|sign|inspect`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Subcommand;
use eseal::{
    CertList, Certificate, HttpTsa, PictureInfo, Seal, SealFont, SealPicture, SealRequest,
    SealSignature, SoftwareKey, make_seal, make_seal_v5, rfc3339, sign_with_seal,
    timestamp_seal_signature,
};

use crate::{read_file, write_file};

#[derive(Subcommand)]
pub enum Command {
    /// Make a GB/T 38540 (v4) seal, signed by the seal maker (制章人).
    Make {
        /// The seal maker's certificate (PEM).
        #[arg(long)]
        maker_cert: PathBuf,
        /// The seal maker's private key (PKCS#8 PEM).
        #[arg(long)]
        maker_key: PathBuf,
        /// A signer (签章人) allowed to sign with the seal (PEM); repeatable.
        #[arg(long, required = true)]
        signer_cert: Vec<PathBuf>,
        /// The seal's name, e.g. "某某市市场监督管理局电子证照专用章".
        #[arg(long)]
        name: String,
        /// The seal identifier (esID, ASCII).
        #[arg(long)]
        es_id: String,
        /// The seal type (1 = official seal).
        #[arg(long, default_value_t = 1)]
        seal_type: i64,
        /// Days of validity from now.
        #[arg(long, default_value_t = 730)]
        days: u32,
        /// The office name drawn on the round seal picture.
        #[arg(long)]
        office: Option<String>,
        /// The purpose drawn below the star, e.g. "电子证照专用章".
        #[arg(long)]
        purpose: Option<String>,
        /// Use this picture (PNG, GIF, JPG, BMP or SVG) instead of drawing one.
        #[arg(long, conflicts_with = "office")]
        picture: Option<PathBuf>,
        /// A CJK font for drawing (default: the installed WenQuanYi Micro Hei).
        #[arg(long)]
        font: Option<PathBuf>,
        /// The seal file to write (.esl).
        #[arg(long)]
        out: PathBuf,
        /// Make a v5 seal stamped by this timestamp authority (http:// URL).
        #[arg(long)]
        tsa: Option<String>,
    },
    /// Sign data with a seal: write an SES_Signature (SignedValue.dat).
    Sign {
        /// The seal (.esl).
        #[arg(long)]
        seal: PathBuf,
        /// The signer's certificate (PEM), listed in the seal.
        #[arg(long)]
        signer_cert: PathBuf,
        /// The signer's private key (PKCS#8 PEM).
        #[arg(long)]
        signer_key: PathBuf,
        /// The data to sign.
        #[arg(long)]
        data: PathBuf,
        /// propertyInfo (for OFD: the path of Signature.xml in the package).
        #[arg(long, default_value = "")]
        property_info: String,
        /// The signature file to write.
        #[arg(long)]
        out: PathBuf,
        /// Stamp the signature by this timestamp authority (http:// URL).
        #[arg(long)]
        tsa: Option<String>,
    },
    /// Show what a seal or seal signature holds.
    Inspect {
        /// A seal (.esl) or seal signature (SignedValue.dat).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn certificate(path: &Path) -> eseal::Result<Certificate> {
    Ok(crate::read_certificate_file(path)?.0)
}

fn key(path: &Path) -> eseal::Result<SoftwareKey> {
    let text = String::from_utf8(read_file(path)?)
        .map_err(|_| eseal::Error::Invalid(format!("{} is not PEM", path.display())))?;
    SoftwareKey::from_pem(&text, None)
}

pub fn run(cmd: Command) -> eseal::Result<u8> {
    match cmd {
        Command::Make {
            maker_cert,
            maker_key,
            signer_cert,
            name,
            es_id,
            seal_type,
            days,
            office,
            purpose,
            picture,
            font,
            out,
            tsa,
        } => {
            let picture = match picture {
                Some(path) => {
                    let kind = path
                        .extension()
                        .and_then(|e| e.to_str())
                        .unwrap_or("PNG")
                        .to_ascii_uppercase();
                    PictureInfo {
                        picture_type: kind,
                        data: read_file(&path)?,
                        width_mm: 40,
                        height_mm: 40,
                    }
                }
                None => {
                    let font = match font {
                        Some(path) => SealFont::from_file(&path)?,
                        None => SealFont::system()?,
                    };
                    let mut drawing = SealPicture::new(office.unwrap_or_else(|| name.clone()));
                    drawing.purpose = purpose;
                    let size = drawing.diameter_mm.round() as i64;
                    PictureInfo {
                        picture_type: "PNG".into(),
                        data: drawing.to_png(&font, 512)?,
                        width_mm: size,
                        height_mm: size,
                    }
                }
            };
            let signers = signer_cert
                .iter()
                .map(|p| certificate(p).map(|c| c.der().to_vec()))
                .collect::<eseal::Result<Vec<_>>>()?;
            let now = SystemTime::now();
            let request = SealRequest {
                vendor: "eseal".into(),
                es_id,
                seal_type,
                name,
                cert_list: CertList::Certificates(signers),
                created: now,
                valid_start: now,
                valid_end: now + Duration::from_secs(u64::from(days) * 86_400),
                picture,
                ext_datas: Vec::new(),
            };
            let (maker_cert, maker_key) = (certificate(&maker_cert)?, key(&maker_key)?);
            let seal = match tsa {
                Some(url) => make_seal_v5(&request, &maker_cert, &maker_key, &http_tsa(url))?,
                None => make_seal(&request, &maker_cert, &maker_key)?,
            };
            write_file(&out, seal.der())?;
            out!(
                "seal {:?} ({} bytes) → {}",
                seal.property.name,
                seal.der().len(),
                out.display()
            );
        }
        Command::Sign {
            seal,
            signer_cert,
            signer_key,
            data,
            property_info,
            out,
            tsa,
        } => {
            let seal = Seal::from_der(&read_file(&seal)?)?;
            let data = crate::read_large_file(&data, crate::max_document())?;
            let signature = sign_with_seal(
                &seal,
                &data,
                &property_info,
                &certificate(&signer_cert)?,
                &key(&signer_key)?,
                SystemTime::now(),
            )?;
            let signature = match tsa {
                Some(url) => timestamp_seal_signature(&signature, &http_tsa(url))?,
                None => signature,
            };
            write_file(&out, signature.der())?;
            out!(
                "seal signature with {:?} → {}",
                seal.property.name,
                out.display()
            );
        }
        Command::Inspect { file, json } => {
            let bytes = read_file(&file)?;
            let value = match Seal::from_der(&bytes) {
                Ok(seal) => seal_json(&seal),
                Err(seal_error) => match SealSignature::from_der(&bytes) {
                    Ok(signature) => signature_json(&signature),
                    Err(_) => return Err(seal_error),
                },
            };
            if json {
                out!(
                    "{}",
                    serde_json::to_string_pretty(&value).expect("serialises")
                );
            } else {
                print_tree(&value, 0);
            }
        }
    }
    Ok(0)
}

fn http_tsa(url: String) -> HttpTsa {
    HttpTsa {
        url,
        timeout: Duration::from_secs(10),
    }
}

fn subject(der: &[u8]) -> String {
    Certificate::from_der(der).map_or_else(
        |e| format!("(unreadable: {e})"),
        |c| c.subject().to_string(),
    )
}

fn seal_json(seal: &Seal) -> serde_json::Value {
    let p = &seal.property;
    let cert_list = match &p.cert_list {
        CertList::Certificates(certs) => certs
            .iter()
            .map(|c| subject(c).into())
            .collect::<Vec<serde_json::Value>>(),
        CertList::Digests(d) => d
            .iter()
            .map(|(k, v)| format!("{k}:{}", hex::encode(v)).into())
            .collect(),
        CertList::Unreadable(raw) => vec![format!("(unreadable, {} bytes)", raw.len()).into()],
    };
    serde_json::json!({
        "kind": "seal",
        "version": seal.version,
        "vendor": seal.header.vid,
        "es_id": seal.es_id,
        "type": p.seal_type,
        "name": p.name,
        "cert_list": cert_list,
        "created": rfc3339(p.create_date),
        "valid_start": rfc3339(p.valid_start),
        "valid_end": rfc3339(p.valid_end),
        "picture": {
            "type": seal.picture.picture_type,
            "bytes": seal.picture.data.len(),
            "width_mm": seal.picture.width_mm,
            "height_mm": seal.picture.height_mm,
        },
        "extensions": seal.ext_datas.iter().map(|e| serde_json::json!({"id": e.id, "critical": e.critical, "bytes": e.value.len()})).collect::<Vec<_>>(),
        "maker": subject(&seal.maker_cert),
        "signature_algorithm": seal.signature_algorithm,
        "timestamp": seal.timestamp.as_ref().map(Vec::len),
    })
}

fn signature_json(signature: &SealSignature) -> serde_json::Value {
    let time = match &signature.time_info {
        eseal::TimeInfo::Time(t) => rfc3339(*t),
        eseal::TimeInfo::Unreadable(bytes) => format!("(unreadable, {} bytes)", bytes.len()),
    };
    serde_json::json!({
        "kind": "seal-signature",
        "version": signature.version,
        "signing_time": time,
        "data_hash": hex::encode(&signature.data_hash),
        "property_info": signature.property_info,
        "signer": subject(&signature.signer_cert),
        "signature_algorithm": signature.signature_algorithm,
        "timestamp": signature.timestamp.as_ref().map(Vec::len),
        "seal": seal_json(&signature.seal),
    })
}

fn print_tree(value: &serde_json::Value, depth: usize) {
    let pad = "  ".repeat(depth);
    if let Some(map) = value.as_object() {
        for (k, v) in map {
            match v {
                serde_json::Value::Object(_) => {
                    out!("{pad}{k}:");
                    print_tree(v, depth + 1);
                }
                serde_json::Value::Array(items) => {
                    out!("{pad}{k}:");
                    for item in items {
                        out!(
                            "{pad}  - {}",
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_string)
                        );
                    }
                }
                serde_json::Value::String(s) => out!("{pad}{k}: {s}"),
                other => out!("{pad}{k}: {other}"),
            }
        }
    }
}
