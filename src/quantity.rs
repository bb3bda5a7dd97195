//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), parsed so they can be compared.
//! The grammar is the one of apimachinery's `resource.Quantity`.

use std::fmt;

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

    /// Whole mebibytes, rounded down (the unit of the image's `ZK_SERVER_HEAP`).
    pub fn mebibytes(&self) -> u64 {
        (self.value / 1024f64.powi(2)).floor() as u64
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::Quantity;

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
    fn rejects_what_the_api_server_rejects() {
        for bad in ["", "Gi", "1 Gi", "10GB", "-1", "1..2", ".", "1e99"] {
            assert!(Quantity::parse(bad).is_none(), "{bad:?} should be rejected");
        }
    }
}
