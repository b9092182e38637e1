//! A sample licence type and office (a provincial market regulator issuing 营业执照), for
//! the demo, `eseal speed`, benchmarks and tests. The codes carry correct check
//! characters; the names are invented.

use super::identifiers::{IssuerCode, Uscc};
use super::model::{FieldKind, LicenceRequest, OfficeIdentity, SurfaceField, Template};

/// The business licence type code: definer 11100000000013338W, number 032.
pub const BUSINESS_TYPE_CODE: &str = "11100000000013338W032";

/// The sample office's code (USCC).
pub const OFFICE_CODE: &str = "11220000013544541J";

/// The sample office's name.
pub const OFFICE_NAME: &str = "吉林省市场监督管理厅";

/// The sample office's status list.
pub const STATUS_LIST_URI: &str = "https://zz.jl.gov.cn/sl/1";

/// The sample office: 吉林省市场监督管理厅, region 220000.
pub fn office() -> OfficeIdentity {
    OfficeIdentity {
        code: OFFICE_CODE.parse::<IssuerCode>().expect("a valid code"),
        name: OFFICE_NAME.to_owned(),
        region: "220000".parse().expect("a region code"),
    }
}

fn field(key: &str, label: &str, kind: FieldKind, in_qr: bool) -> SurfaceField {
    SurfaceField {
        key: key.to_owned(),
        label: label.to_owned(),
        kind,
        in_qr,
        personal: false,
        required: in_qr,
    }
}

/// The 营业执照 template: 类型, 法定代表人, 注册资本 in the QR; 成立日期, 住所, 经营范围
/// printed only.
pub fn business_template() -> Template {
    Template {
        type_code: BUSINESS_TYPE_CODE.parse().expect("a valid type code"),
        name: "营业执照".to_owned(),
        definer_name: Some("国家市场监督管理总局".to_owned()),
        fields: vec![
            field("lx", "类型", FieldKind::Text, true),
            field("fr", "法定代表人", FieldKind::Text, true),
            field("zb", "注册资本", FieldKind::Text, true),
            field("clrq", "成立日期", FieldKind::Date, false),
            field("zs", "住所", FieldKind::Text, false),
            field("jyfw", "经营范围", FieldKind::Text, false),
        ],
        privacy: None,
        one_active_per_holder: true,
    }
}

/// The USCC of the `n`-th sample company: `91220101`, an organisation code `MA` + 6
/// digits + its GB 11714 check character, and the GB 32100 check character.
pub fn company_code(n: u32) -> Uscc {
    "0123456789X"
        .chars()
        .map(|c| Uscc::new(&format!("91220101MA{:06}{c}", n % 1_000_000)).expect("a valid body"))
        .find(|u| u.check_organisation_code().is_ok())
        .expect("one check character fits")
}

/// A business licence request for the `n`-th sample company.
pub fn business_request(n: u32) -> LicenceRequest {
    let surface = [
        ("lx", "有限责任公司（自然人投资或控股）"),
        ("fr", "张三"),
        ("zb", "壹仟万元整"),
        ("clrq", "20200315"),
        ("zs", "吉林省长春市朝阳区人民大街1000号"),
        (
            "jyfw",
            "软件开发；信息系统集成服务；数据处理和存储支持服务；电子证照技术咨询、技术服务。\
             （依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let holder_name = if n == 0 {
        "长春某某科技发展有限公司".to_owned()
    } else {
        format!("长春某某科技发展有限公司第{n}分公司")
    };
    LicenceRequest {
        name: None,
        number: None,
        version: None,
        issue_date: None,
        valid_from: None,
        valid_to: None,
        region_code: None,
        holder_name,
        holder_type: super::model::HolderType::Uscc,
        holder_type_name: None,
        holder_code: company_code(n).to_string(),
        service_item_name: None,
        service_item_code: None,
        related: Vec::new(),
        surface,
        attachments: Vec::new(),
        annotation: None,
        privacy: None,
    }
}

#[cfg(feature = "test-util")]
pub use signed::SignedOffice;

#[cfg(feature = "test-util")]
mod signed {
    use std::time::{Duration, SystemTime};

    use super::{STATUS_LIST_URI, business_request, business_template, office};
    use crate::Result;
    use crate::crypto::{Algorithm, Signer, SoftwareKey};
    use crate::licence::compact::{StatusReference, sign_licence};
    use crate::licence::status_list::{StatusList, sign_status_list};
    use crate::licence::trust_list::{KeyUse, ListedKey, Office, TrustList, sign_trust_list};
    use crate::pki::{self, Certificate, DistinguishedName, Profile, Validity, unix_seconds};

    /// The sample office as a verifier meets it (LICENCE.md §3–§5), valid for a day: a
    /// root, a trust list signed under it that lists the office's licence key and status
    /// list key, the office's status list with every entry VALID, and the key that signs
    /// the office's licence QRs.
    pub struct SignedOffice {
        /// The root every certificate here chains to.
        pub root: Certificate,
        /// The signed trust list (LICENCE.md §4), sequence number 1.
        pub trust_list: Vec<u8>,
        /// The status list token at [`STATUS_LIST_URI`] (LICENCE.md §5).
        pub status_list: Vec<u8>,
        /// The office's licence signing certificate, as the trust list lists it.
        pub certificate: Certificate,
        key: SoftwareKey,
    }

    impl SignedOffice {
        /// The office whose licences `key` signs, its root, trust list and status list
        /// (of `entries` entries) signed with new keys of `ca_algorithm`, as of `now`.
        pub fn new(
            key: SoftwareKey,
            ca_algorithm: Algorithm,
            entries: usize,
            now: SystemTime,
        ) -> Result<Self> {
            let validity = Validity::days_from_now(1);
            let root_key = SoftwareKey::generate(ca_algorithm)?;
            let root = pki::issue_root(
                &DistinguishedName::common_name("sample root"),
                validity,
                &root_key,
            )?;
            let issue = |profile, name: &str, key: &SoftwareKey| {
                pki::issue(
                    profile,
                    &DistinguishedName::common_name(name),
                    key.public_key_spki(),
                    validity,
                    &root,
                    &root_key,
                )
            };
            let list_key = SoftwareKey::generate(ca_algorithm)?;
            let list_cert = issue(Profile::TrustList, "sample trust list", &list_key)?;
            let status_key = SoftwareKey::generate(ca_algorithm)?;
            let status_cert = issue(Profile::StatusList, "sample status list", &status_key)?;
            let certificate = issue(Profile::LicenceSigner, "sample office", &key)?;

            let day = Duration::from_secs(86_400);
            let list = TrustList::new("sample").office(
                Office::new(super::OFFICE_CODE, super::OFFICE_NAME)
                    .status_list("https://zz.jl.gov.cn/sl/")
                    .key(ListedKey::new(certificate.clone(), KeyUse::Sign))
                    .key(ListedKey::new(status_cert.clone(), KeyUse::Sign)),
            );
            let trust_list =
                sign_trust_list(&list, 1, now, now + day, &list_key, &list_cert, &[])?;
            let status_list = sign_status_list(
                &StatusList::new(entries),
                STATUS_LIST_URI,
                now,
                Duration::from_secs(3600),
                now + day,
                &status_key,
                &status_cert,
            )?;
            Ok(SignedOffice {
                root,
                trust_list,
                status_list,
                certificate,
                key,
            })
        }

        /// The QR string of the `n`-th sample business licence (number `2026` and `n` in
        /// seven digits), status list entry `idx`, issued at `now`.
        pub fn qr(&self, n: u32, idx: u64, now: SystemTime) -> Result<String> {
            let (template, identity, at) = (business_template(), office(), unix_seconds(now));
            let licence =
                business_request(n).to_licence(&template, &identity, &format!("2026{n:07}"), at)?;
            let status = StatusReference {
                idx,
                uri: STATUS_LIST_URI.into(),
            };
            let claims = licence.claims(&template, identity.region, at - 60, status, None)?;
            sign_licence(&claims, &self.key, &self.certificate)
        }
    }
}
