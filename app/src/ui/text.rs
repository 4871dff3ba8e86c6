//! Plain message text with its web links made clickable (visitor and agent messages are
//! plain text, never HTML): only `http(s)://` and `www.` links, opened in a new tab with
//! `rel="noopener nofollow ugc"`. The widget frame does the same in its own script.
use leptos::prelude::*;

/// A piece of a message: text, or a link with its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Link { text: String, href: String },
}

/// Splits `text` into plain pieces and links. Trailing punctuation (`.`, `,`, `)`, …) stays
/// out of a link, as people write "see https://example.com.".
pub fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let start = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| find_at_word_start(rest, p))
            .min();
        let Some(start) = start else {
            plain.push_str(rest);
            break;
        };
        plain.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(tail.len());
        let mut link = &tail[..end];
        while let Some(last) = link.chars().last() {
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '\'') {
                link = &link[..link.len() - last.len_utf8()];
            } else {
                break;
            }
        }
        let bare = link
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        if bare.len() < 4 || !bare.contains('.') {
            plain.push_str(link);
            if link.is_empty() {
                // Only punctuation after the prefix: keep it as text and go on.
                plain.push_str(&tail[..end]);
                rest = &tail[end..];
                continue;
            }
        } else {
            if !plain.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut plain)));
            }
            let href = if link.starts_with("www.") {
                format!("https://{link}")
            } else {
                link.to_string()
            };
            out.push(Piece::Link {
                text: link.to_string(),
                href,
            });
        }
        rest = &tail[link.len()..];
    }
    if !plain.is_empty() {
        out.push(Piece::Text(plain));
    }
    out
}

/// Where `prefix` starts a word in `s` (case-insensitive), if it does.
fn find_at_word_start(s: &str, prefix: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(prefix) {
        let at = from + i;
        let before = s[..at].chars().last();
        if before.is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != '.') {
            return Some(at);
        }
        from = at + prefix.len();
    }
    None
}

/// Text made safe to put inside HTML (element content or a quoted attribute).
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A message's plain text with clickable links.
#[component]
pub fn LinkedText(#[prop(into)] text: String) -> impl IntoView {
    pieces(&text)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => view! { <span>{t}</span> }.into_any(),
            Piece::Link { text, href } => view! {
                <a href=href target="_blank" rel="noopener nofollow ugc">{text}</a>
            }
            .into_any(),
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(text: &str, href: &str) -> Piece {
        Piece::Link {
            text: text.into(),
            href: href.into(),
        }
    }

    #[test]
    fn links_are_found_and_punctuation_stays_out() {
        assert_eq!(
            pieces("See https://example.com/a?b=1. Or www.example.org, thanks"),
            [
                Piece::Text("See ".into()),
                link("https://example.com/a?b=1", "https://example.com/a?b=1"),
                Piece::Text(". Or ".into()),
                link("www.example.org", "https://www.example.org"),
                Piece::Text(", thanks".into()),
            ]
        );
        assert_eq!(
            pieces("(http://x.io)"),
            [
                Piece::Text("(".into()),
                link("http://x.io", "http://x.io"),
                Piece::Text(")".into())
            ]
        );
    }

    #[test]
    fn escaped_text_cannot_open_a_tag_or_leave_an_attribute() {
        assert_eq!(
            escape_html(r#"<b a="1" b='2'>&</b>"#),
            "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;&lt;/b&gt;"
        );
    }

    #[test]
    fn other_text_stays_text() {
        for text in [
            "no links here",
            "javascript:alert(1)",
            "mail me at a@b.com",
            "https://",
            "data:text/html,<b>x</b>",
            "xhttps://evil.com",
        ] {
            assert!(
                pieces(text).iter().all(|p| matches!(p, Piece::Text(_))),
                "{text}: {:?}",
                pieces(text)
            );
        }
        assert_eq!(pieces(""), []);
    }
}
