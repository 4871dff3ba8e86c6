//! Money as integer minor units with an ISO 4217 code (no floats): how many decimals a
//! currency has comes from `iso_currency` (a JPY amount has none, a KWD amount three).

/// The number of decimal places of `code` (an ISO 4217 code), if it is one.
pub fn decimals(code: &str) -> Option<u32> {
    let currency = iso_currency::Currency::from_code(&code.trim().to_ascii_uppercase())?;
    Some(currency.exponent().map_or(0, u32::from))
}

/// `minor` units of `code` written for people: "USD 1,250.00", "JPY 1,250", "KWD 1.250".
pub fn format(minor: i64, code: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    let places = decimals(&code).unwrap_or(2);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(places);
    let (whole, fraction) = (abs / unit, abs % unit);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if places == 0 {
        format!("{code} {sign}{grouped}")
    } else {
        format!(
            "{code} {sign}{grouped}.{fraction:0width$}",
            width = places as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_currencys_decimals() {
        assert_eq!(format(125_000, "USD"), "USD 1,250.00");
        assert_eq!(format(1_250, "jpy"), "JPY 1,250");
        assert_eq!(format(1_250, "KWD"), "KWD 1.250");
        assert_eq!(format(5, "EUR"), "EUR 0.05");
        assert_eq!(format(0, "IDR"), "IDR 0.00");
        assert_eq!(format(12_345_678_900, "IDR"), "IDR 123,456,789.00");
        assert_eq!(decimals("JPY"), Some(0));
        assert_eq!(decimals("KWD"), Some(3));
        assert_eq!(decimals("XYZ"), None);
    }
}
