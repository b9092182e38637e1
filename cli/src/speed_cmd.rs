//! `eseal speed`.

use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Seconds to spend on each pair.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Print the measurements as JSON.
    #[arg(long)]
    json: bool,
    /// Measure only the pairs whose name contains this text, e.g. `licence QR`.
    #[arg(long, default_value = "")]
    only: String,
}

pub fn run(args: Args) -> eseal::Result<u8> {
    if !(args.seconds > 0.0 && args.seconds <= 600.0) {
        return Err(eseal::Error::Invalid(
            "--seconds must be in (0, 600]".into(),
        ));
    }
    let measurements =
        crate::speed::run_matching(Duration::from_secs_f64(args.seconds), &args.only)?;
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&measurements).expect("serialises")
        );
    } else {
        out!("{}", crate::speed::table(&measurements).trim_end());
    }
    Ok(0)
}
