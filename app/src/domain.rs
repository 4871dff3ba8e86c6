//! Parsed domain values shared by the browser and the server: once built, they are valid.
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest name (person, company, user) we accept, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Password length bounds, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// An email address, trimmed and lower-cased; a message fit for the field on refusal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        if email.chars().count() > 254 {
            return Err("This email address is too long.".into());
        }
        let invalid = || "Enter a valid email address, like name@example.com.".to_string();
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control());
        if !(domain_ok && local_ok) {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the length rules. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(format!(
                "Use at least {MIN_PASSWORD_CHARS} characters for the password."
            ));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(format!(
                "Use at most {MAX_PASSWORD_CHARS} characters for the password."
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// As `parse`, and not one of the 10,000 most common passwords (R5). Server only: the
    /// list stays out of the browser's code.
    #[cfg(feature = "ssr")]
    pub fn parse_checked(raw: &str) -> Result<Self, String> {
        let p = Self::parse(raw)?;
        if common_passwords().contains(raw.to_lowercase().as_str()) {
            return Err(
                "This password is one of the most common ones, and easy to guess. Choose another: a few unrelated words work well."
                    .into(),
            );
        }
        Ok(p)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The most common passwords (`account/common_passwords.txt`), read once.
#[cfg(feature = "ssr")]
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static LIST: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            include_str!("account/common_passwords.txt")
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .collect()
        });
    &LIST
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// What typed text may not hold (R6): control characters other than newline and tab, and
/// the invisible marks that reorder text (bidirectional embeddings, overrides and isolates),
/// which can make a message, a name or a CRM field read as something else.
pub fn forbidden_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || reorders_text(c)
}

/// The bidirectional embeddings, overrides and isolates.
pub fn reorders_text(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The refusal of text holding a [`forbidden_char`].
pub const FORBIDDEN_CHARS: &str =
    "Remove the control characters (invisible characters such as NUL or text-direction overrides).";

/// A display name (a person's or a company's): trimmed, 1 to 100 characters, no control
/// characters (newlines and tabs included) and no marks that reorder text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter a name.".into());
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!("Use at most {MAX_NAME_CHARS} characters."));
        }
        if name.chars().any(|c| c.is_control() || reorders_text(c)) {
            return Err(FORBIDDEN_CHARS.into());
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Ana@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ana@example.com");
    }

    #[test]
    fn email_rejections() {
        for bad in [
            "",
            "   ",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana@@example.com",
            "ana@.example.com",
            "ana@example.com.",
            "ana@exa mple.com",
            "an a@example.com",
            "ana@exa..mple.com",
            "ana@exam<ple.com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn email_refused_through_serde() {
        let r: Result<EmailAddress, _> = serde_json::from_str("\"not-an-email\"");
        assert!(r.is_err());
        let ok: EmailAddress = serde_json::from_str("\"A@b.co\"").unwrap();
        assert_eq!(ok.as_str(), "a@b.co");
    }

    #[test]
    fn password_length_rules() {
        assert!(NewPassword::parse("1234567").is_err());
        assert!(NewPassword::parse("12345678").is_ok());
        assert!(NewPassword::parse(&"x".repeat(128)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        // Counted in characters, not bytes: 8 multibyte characters are enough.
        assert!(NewPassword::parse("ééééçççç").is_ok());
        assert!(
            !format!("{:?}", NewPassword::parse("secret-password").unwrap()).contains("secret")
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert_eq!(common_passwords().len(), 10_000);
        for common in [
            "password1",
            "iloveyou",
            "PassW0rd",
            "qwertyuiop",
            "sunshine1",
        ] {
            let e = NewPassword::parse_checked(common).unwrap_err();
            assert!(e.contains("most common"), "{common}: {e}");
        }
        assert!(NewPassword::parse_checked("short").is_err());
        assert!(NewPassword::parse_checked("orange kettle seventeen").is_ok());
        assert!(NewPassword::parse_checked("admin-password").is_ok());
    }

    #[test]
    fn name_rules() {
        assert_eq!(Name::parse("  Ana Lima ").unwrap().as_str(), "Ana Lima");
        assert!(Name::parse("").is_err());
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"n".repeat(100)).is_ok());
        assert!(Name::parse(&"n".repeat(101)).is_err());
        assert!(Name::parse("bad\u{0007}name").is_err());
        assert!(Name::parse(&"é".repeat(100)).is_ok());
    }
}
