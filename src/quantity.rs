//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), parsed so they can be compared.
//! The grammar is the one of apimachinery's `resource.Quantity`.

use std::fmt;

use crate::diag::Code;

#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// As written in the spec; emitted unchanged.
    pub text: String,
    /// The value in base units (bytes, cores).
    pub value: f64,
}

impl Quantity {
    pub fn parse(text: &str) -> Option<Quantity> {
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let number: f64 = number.parse().ok()?;
        let multiplier = match suffix {
            "" => 1.0,
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1024f64,
            "Mi" => 1024f64.powi(2),
            "Gi" => 1024f64.powi(3),
            "Ti" => 1024f64.powi(4),
            "Pi" => 1024f64.powi(5),
            "Ei" => 1024f64.powi(6),
            exp if exp.starts_with(['e', 'E']) => {
                10f64.powi(exp[1..].parse::<i32>().ok().filter(|e| e.abs() <= 18)?)
            }
            _ => return None,
        };
        Some(Quantity {
            text: text.to_owned(),
            value: number * multiplier,
        })
    }

    /// A CPU amount: a positive number of cores or millicores, at most [`MAX_CPU`] cores.
    pub fn cpu(text: &str) -> Result<Quantity, QuantityError> {
        let q = Quantity::parse(text).ok_or(QuantityError::Syntax)?;
        if q.value <= 0.0 || q.value < 1e-3 {
            return Err(QuantityError::TooSmall { min: "1m".into() });
        }
        if q.value > MAX_CPU {
            return Err(QuantityError::TooLarge {
                max: format!("{MAX_CPU}"),
            });
        }
        Ok(q)
    }

    /// A size in bytes: a byte unit is required (a bare `512` is 512 bytes, never what a
    /// heap or volume size means), at least `min_mib` MiB and at most [`MAX_BYTES`].
    pub fn bytes(text: &str, min_mib: u64) -> Result<Quantity, QuantityError> {
        let q = Quantity::parse(text).ok_or(QuantityError::Syntax)?;
        if !BYTE_UNITS.iter().any(|unit| text.ends_with(unit)) {
            return Err(QuantityError::NoUnit);
        }
        if q.value > MAX_BYTES {
            return Err(QuantityError::TooLarge { max: "1Pi".into() });
        }
        if q.mebibytes() < min_mib {
            return Err(QuantityError::TooSmall {
                min: format!("{min_mib}Mi"),
            });
        }
        Ok(q)
    }

    /// Whole mebibytes, rounded down (the unit of the image's `ZK_SERVER_HEAP`).
    pub fn mebibytes(&self) -> u64 {
        // `as` saturates; sizes are bounded by MAX_BYTES once checked.
        (self.value / 1024f64.powi(2)).floor() as u64
    }
}

/// The largest CPU amount accepted, in cores: far above any node, far below any overflow.
pub const MAX_CPU: f64 = 4096.0;
/// The largest size accepted (1 PiB): every size arithmetic stays exact in u64 mebibytes.
pub const MAX_BYTES: f64 = 1_125_899_906_842_624.0;
/// Suffixes that make a quantity a size in bytes (decimal and binary SI).
const BYTE_UNITS: &[&str] = &[
    "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
];

/// Why a quantity was refused; the wording lives here, the diagnostic's place in the resolver.
#[derive(Debug, Clone, PartialEq)]
pub enum QuantityError {
    Syntax,
    NoUnit,
    TooSmall { min: String },
    TooLarge { max: String },
}

impl QuantityError {
    pub fn code(&self) -> Code {
        match self {
            QuantityError::Syntax => Code::BadQuantity,
            QuantityError::NoUnit => Code::SizeWithoutUnit,
            QuantityError::TooSmall { .. } | QuantityError::TooLarge { .. } => Code::OutOfRange,
        }
    }

    pub fn message(&self, text: &str) -> String {
        match self {
            QuantityError::Syntax => format!("\"{text}\" is not a Kubernetes quantity"),
            QuantityError::NoUnit => format!("size {text} has no unit: it would mean {text} bytes"),
            QuantityError::TooSmall { min } => format!("{text} is below the minimum {min}"),
            QuantityError::TooLarge { max } => format!("{text} is above the maximum {max}"),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            QuantityError::Syntax => "not a quantity",
            QuantityError::NoUnit => "no unit",
            QuantityError::TooSmall { .. } => "too small",
            QuantityError::TooLarge { .. } => "too large",
        }
    }

    pub fn help(&self, text: &str) -> String {
        match self {
            QuantityError::Syntax => {
                "write a number with an optional suffix: \"500m\", \"2\", \"512Mi\", \"10Gi\""
                    .into()
            }
            QuantityError::NoUnit => {
                format!("write \"{}Mi\" (or Gi, G, …)", text.trim_matches('"'))
            }
            QuantityError::TooSmall { min } => format!("use at least \"{min}\""),
            QuantityError::TooLarge { max } => format!("use at most \"{max}\""),
        }
    }
}
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Quantity, QuantityError};

    #[test]
    fn parses_the_kubernetes_suffixes() {
        assert_eq!(Quantity::parse("500m").unwrap().value, 0.5);
        assert_eq!(Quantity::parse("1Gi").unwrap().value, 1073741824.0);
        assert_eq!(Quantity::parse("1G").unwrap().value, 1e9);
        assert_eq!(Quantity::parse("1.5").unwrap().value, 1.5);
        assert_eq!(Quantity::parse("1e3").unwrap().value, 1000.0);
        assert_eq!(Quantity::parse("768Mi").unwrap().mebibytes(), 768);
    }

    #[test]
    fn sizes_need_a_unit_and_sane_bounds() {
        assert_eq!(Quantity::bytes("512", 1), Err(QuantityError::NoUnit));
        assert_eq!(Quantity::bytes("0", 1), Err(QuantityError::NoUnit));
        assert!(matches!(
            Quantity::bytes("1Ki", 1),
            Err(QuantityError::TooSmall { .. })
        ));
        assert!(matches!(
            Quantity::bytes("99999999999Ei", 1),
            Err(QuantityError::TooLarge { .. })
        ));
        assert!(matches!(
            Quantity::bytes("500m", 1),
            Err(QuantityError::NoUnit)
        ));
        assert_eq!(Quantity::bytes("512Mi", 128).unwrap().mebibytes(), 512);
        assert_eq!(Quantity::bytes("1G", 128).unwrap().mebibytes(), 953);
        assert!(Quantity::cpu("0").is_err() && Quantity::cpu("1e9").is_err());
        assert!(Quantity::cpu("250m").is_ok() && Quantity::cpu("2").is_ok());
    }

    #[test]
    fn rejects_what_the_api_server_rejects() {
        for bad in ["", "Gi", "1 Gi", "10GB", "-1", "1..2", ".", "1e99"] {
            assert!(Quantity::parse(bad).is_none(), "{bad:?} should be rejected");
        }
    }
}
