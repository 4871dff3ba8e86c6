//! The side panel's field rules (F4.1, F4.4): each value is parsed into what is stored, or
//! refused with a message that names the field and says what to type instead.
use super::money;
use crate::domain::EmailAddress;
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// The longest text each field takes.
pub const MAX_NAME: usize = 200;
pub const MAX_ORGANIZATION: usize = 200;
pub const MAX_ADDRESS: usize = 500;
pub const MAX_NOTES: usize = 5000;
pub const MAX_TITLE: usize = 200;
/// The largest deal value taken, in major units (a trillion).
const MAX_MAJOR: u64 = 1_000_000_000_000;

/// A text field: trimmed, empty is None, at most `max` characters.
pub fn text(label: &str, raw: &str, max: usize) -> Result<Option<String>, String> {
    let t = raw.trim();
    if t.chars().count() > max {
        return Err(format!("{label}: at most {max} characters."));
    }
    if t.chars().any(crate::domain::forbidden_char) {
        return Err(format!("{label}: {}", crate::domain::FORBIDDEN_CHARS));
    }
    Ok((!t.is_empty()).then(|| t.to_string()))
}

/// An email address, lower-cased; empty is None.
pub fn email(raw: &str) -> Result<Option<String>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    EmailAddress::parse(t)
        .map(|e| Some(e.to_string().to_lowercase()))
        .map_err(|_| "Email: type an address like name@example.com.".to_string())
}

/// A phone number in E.164 (+6281234567890); a number without its country code is read in
/// `default_country` (ISO 3166 alpha-2, from Company settings); a leading 00 is a +. Empty is
/// None.
pub fn phone(raw: &str, default_country: Option<&str>) -> Result<Option<String>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t = match t.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => t.to_string(),
    };
    let country = default_country.and_then(|c| phonenumber::country::Id::from_str(c).ok());
    let refused = || match (country, default_country) {
        (Some(_), Some(c)) => format!(
            "Phone: type a {c} number, or another country's with its code, like +62 812 3456 7890."
        ),
        _ => "Phone: type the number with its country code, like +62 812 3456 7890.".to_string(),
    };
    let number = phonenumber::parse(country, &t).map_err(|_| refused())?;
    if !phonenumber::is_valid(&number) {
        // It has its country code: the digits are what is wrong (too few, too many, or a
        // range no one is given, like the US's 555-01xx).
        if t.starts_with('+') {
            return Err(
                "Phone: this is not a real number for its country code; check the digits."
                    .to_string(),
            );
        }
        return Err(refused());
    }
    Ok(Some(
        number.format().mode(phonenumber::Mode::E164).to_string(),
    ))
}

/// An ISO 4217 currency code, upper-cased.
pub fn currency(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    match money::decimals(&code) {
        Some(_) if code.len() == 3 => Ok(code),
        _ => Err("Currency: type a three-letter code such as USD, EUR or IDR.".to_string()),
    }
}

/// A deal value in `currency`'s minor units: digits, optional thousands separators (`,` or
/// spaces), and at most the currency's decimal places after a `.`. Never negative.
pub fn amount(raw: &str, currency: &str) -> Result<Option<i64>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let places = money::decimals(currency).unwrap_or(2);
    let refused = || {
        if places == 0 {
            format!("Deal value: type a whole amount like 1250 ({currency} has no decimals).")
        } else {
            format!(
                "Deal value: type an amount like 1250.50, not negative, with at most {places} \
                 decimals for {currency}."
            )
        }
    };
    let cleaned: String = t
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    let (whole, fraction) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > places as usize
        || (cleaned.contains('.') && fraction.is_empty())
    {
        return Err(refused());
    }
    let major: u64 = whole.parse().map_err(|_| refused())?;
    if major > MAX_MAJOR {
        return Err(format!("Deal value: at most {MAX_MAJOR} {currency}."));
    }
    let unit = 10u64.pow(places);
    let minor_fraction: u64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<width$}", width = places as usize)
            .parse()
            .map_err(|_| refused())?
    };
    i64::try_from(major * unit + minor_fraction)
        .map(Some)
        .map_err(|_| refused())
}

/// A real calendar date, YYYY-MM-DD (what a date input sends); empty is None.
pub fn date(raw: &str) -> Result<Option<time::Date>, String> {
    date_for("Expected close date", raw)
}

/// A real calendar date (YYYY-MM-DD) for the field labelled `label`; empty is None.
pub fn date_for(label: &str, raw: &str) -> Result<Option<time::Date>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(t, &format)
        .map_err(|_| format!("{label}: choose a real date, like 2026-12-31."))?;
    // A year such as 0020 is a slip of the keyboard (a date field fills its year digit by
    // digit), not a date anyone plans a sale for.
    if !(1900..=2999).contains(&d.year()) {
        return Err(format!(
            "{label}: choose a year from 1900 to 2999, like 2026-12-31."
        ));
    }
    Ok(Some(d))
}

/// A time of day (HH:MM, 24-hour) for the field labelled `label`; empty is None.
pub fn time_of_day(label: &str, raw: &str) -> Result<Option<time::Time>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[hour]:[minute]");
    time::Time::parse(t, &format)
        .map(Some)
        .map_err(|_| format!("{label}: choose a time of day, like 14:30."))
}

/// How organization names are compared: Unicode NFKC, lower case, one space between words.
pub fn organization_key(name: &str) -> String {
    name.nfkc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_parsed_and_lower_cased() {
        assert_eq!(
            email(" Vera@Example.COM ").unwrap().as_deref(),
            Some("vera@example.com")
        );
        assert_eq!(email("").unwrap(), None);
        assert!(email("vera@").unwrap_err().starts_with("Email:"));
        assert!(email("not an email").is_err());
    }

    #[test]
    fn phones_become_e164_in_the_default_country() {
        let id = Some("ID");
        assert_eq!(
            phone("0812 3456 7890", id).unwrap().as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(
            phone("+62 812-3456-7890", None).unwrap().as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(
            phone("0062 812 3456 7890", None).unwrap().as_deref(),
            Some("+6281234567890")
        );
        assert_eq!(
            phone("(202) 555-0143", Some("US")).unwrap().as_deref(),
            Some("+12025550143")
        );
        assert_eq!(
            phone("+44 20 7946 0958", id).unwrap().as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            phone("030 901820", Some("DE")).unwrap().as_deref(),
            Some("+4930901820")
        );
        assert_eq!(phone("  ", id).unwrap(), None);
        // No country code and no default country: refused, saying what to type.
        assert!(phone("0812 3456 7890", None)
            .unwrap_err()
            .contains("country code"));
        assert!(phone("12", id).unwrap_err().starts_with("Phone:"));
        // With its country code, the digits are what is wrong: said so.
        assert!(phone("+1 555 0199", id)
            .unwrap_err()
            .contains("check the digits"));
        assert!(phone("call me", id).is_err());
    }

    #[test]
    fn amounts_are_minor_units_in_the_currencys_decimals() {
        assert_eq!(amount("1,250.50", "USD").unwrap(), Some(125_050));
        assert_eq!(amount("1250", "USD").unwrap(), Some(125_000));
        assert_eq!(amount("0.5", "EUR").unwrap(), Some(50));
        assert_eq!(amount("1 250", "JPY").unwrap(), Some(1_250));
        assert!(amount("1250.5", "JPY").unwrap_err().contains("no decimals"));
        assert_eq!(amount("1.250", "KWD").unwrap(), Some(1_250));
        assert_eq!(amount("1.2", "KWD").unwrap(), Some(1_200));
        assert!(amount("1.2501", "KWD").unwrap_err().contains("3 decimals"));
        assert!(amount("-5", "USD").unwrap_err().contains("not negative"));
        assert!(amount("12.345", "USD").is_err());
        assert!(amount("1e6", "USD").is_err());
        assert!(amount("5.", "USD").is_err());
        assert!(amount("99999999999999", "USD").is_err());
        assert_eq!(amount("", "USD").unwrap(), None);
    }

    #[test]
    fn currencies_are_iso_codes() {
        assert_eq!(currency(" usd ").unwrap(), "USD");
        assert_eq!(currency("IDR").unwrap(), "IDR");
        assert!(currency("dollars").unwrap_err().starts_with("Currency:"));
        assert!(currency("XYZ").is_err());
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(
            date("2028-02-29").unwrap(),
            Some(time::macros::date!(2028 - 02 - 29))
        );
        assert!(date("2027-02-29")
            .unwrap_err()
            .starts_with("Expected close date:"));
        assert!(date("2026-13-01").is_err());
        assert!(date("0020-02-29").unwrap_err().contains("1900 to 2999"));
        assert!(date("3000-01-01").is_err());
        assert!(date("1900-01-01").unwrap().is_some());
        assert!(date("31/12/2026").is_err());
        assert_eq!(date("").unwrap(), None);
        assert!(date_for("Due date", "2027-02-29")
            .unwrap_err()
            .starts_with("Due date:"));
    }

    #[test]
    fn times_of_day_are_real_times() {
        assert_eq!(
            time_of_day("Due time", "14:30").unwrap(),
            Some(time::macros::time!(14:30))
        );
        assert_eq!(time_of_day("Due time", " ").unwrap(), None);
        assert!(time_of_day("Due time", "24:00")
            .unwrap_err()
            .starts_with("Due time:"));
        assert!(time_of_day("Due time", "9 am").is_err());
    }

    #[test]
    fn texts_refuse_control_and_reordering_marks() {
        assert!(text("Notes", "one\ntwo\tthree", 100).unwrap().is_some());
        for bad in [
            "nul\u{0}here",
            "Bob\u{202E}txt.exe",
            "a\u{2066}b",
            "bell\u{7}",
        ] {
            let e = text("Notes", bad, 100).unwrap_err();
            assert!(
                e.starts_with("Notes: Remove the control characters"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn texts_have_a_maximum() {
        assert_eq!(
            text("Notes", "  hi ", MAX_NOTES).unwrap().as_deref(),
            Some("hi")
        );
        assert_eq!(text("Notes", "   ", MAX_NOTES).unwrap(), None);
        assert!(text("Name", &"x".repeat(201), MAX_NAME)
            .unwrap_err()
            .contains("at most 200"));
    }

    #[test]
    fn organizations_compare_after_case_space_and_unicode_forms() {
        assert_eq!(organization_key("  ACME   Trading "), "acme trading");
        // Full-width letters and a compatibility ligature read as their plain forms.
        assert_eq!(organization_key("ＡＣＭＥ Trading"), "acme trading");
        assert_eq!(organization_key("ﬁne Foods"), "fine foods");
        // A composed and a decomposed é are the same.
        assert_eq!(
            organization_key("Caf\u{e9}"),
            organization_key("Cafe\u{301}")
        );
        assert_ne!(organization_key("Acme"), organization_key("Acme Ltd"));
    }
}
