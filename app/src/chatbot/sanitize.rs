//! Rich text (F1.6, R6): an allow-list of b/strong, i/em, a, ul/ol/li, p, br and images
//! uploaded to Leadline. Used on save and on render, so the editor preview and the widget
//! show the same HTML.
use ammonia::{Builder, UrlRelative};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The path prefix of images uploaded to Leadline.
pub const UPLOAD_PREFIX: &str = "/uploads/";

fn is_upload_path(src: &str) -> bool {
    src.strip_prefix(UPLOAD_PREFIX).is_some_and(|id| {
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    })
}

fn builder() -> &'static Builder<'static> {
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = Builder::empty();
        b.add_tags([
            "b", "strong", "i", "em", "a", "ul", "ol", "li", "p", "br", "img",
        ])
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("img", HashSet::from(["src", "alt"])),
        ]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::PassThrough)
        .link_rel(Some("noopener nofollow ugc"))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Images only from our own uploads.
            ("img", "src") => is_upload_path(value).then(|| Cow::Owned(value.to_string())),
            // Links only absolute http(s) or mailto (relative links make no sense in a widget).
            ("a", "href") => {
                let v = value.trim();
                let lower = v.to_ascii_lowercase();
                (lower.starts_with("http://")
                    || lower.starts_with("https://")
                    || lower.starts_with("mailto:"))
                .then(|| Cow::Owned(v.to_string()))
            }
            _ => Some(Cow::Owned(value.to_string())),
        });
        b
    })
}

/// The sanitized form of `html`: safe to store and to render anywhere.
pub fn sanitize(html: &str) -> String {
    // Twice: ammonia puts a link's `rel` and `target` in a different order when they come in
    // already set, so one pass over its own output would change it (found by the fuzz test).
    // The second pass's output is its own fixed point: sanitizing again changes nothing.
    let once = builder().clean(html).to_string();
    let clean = builder().clean(&once).to_string();
    // An image whose source was refused is dropped altogether.
    // A byte-order mark (invisible) is dropped too: the parser drops one that starts the
    // text, so one left at the start after an image went would go on the next pass.
    clean
        .replace("<img>", "")
        .replace("<img alt=\"\">", "")
        .replace('\u{feff}', "")
}

/// The words of sanitized rich text, for one-line previews: tags dropped (blocks and line
/// breaks become spaces), entities decoded, whitespace collapsed.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
        let tag = &rest[open..close];
        if ["<p", "</p", "<br", "<li", "</li"]
            .iter()
            .any(|t| tag.starts_with(t))
        {
            text.push(' ');
        }
        rest = &rest[close..];
    }
    text.push_str(rest);
    let decoded = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_and_decodes_entities() {
        let html =
            sanitize("<p>Hi <b>there</b> &amp; welcome</p><ul><li>one</li><li>two &lt;3</li></ul>");
        assert_eq!(plain_text(&html), "Hi there & welcome one two <3");
        assert_eq!(plain_text("line<br>next"), "line next");
        assert_eq!(plain_text("no tags"), "no tags");
    }

    /// Hostile inputs: what comes out must not contain any of the `forbidden` fragments.
    #[test]
    fn hostile_inputs_are_defused() {
        let forbidden = [
            "<script",
            "javascript:",
            "onerror",
            "onclick",
            "onload",
            "<svg",
            "<math",
            "<iframe",
            "<style",
            "style=",
            "<object",
            "<embed",
            "<form",
            "<input",
            "data:",
            "vbscript:",
            "<base",
            "<meta",
            "<link",
            "srcdoc",
            "formaction",
            "<template",
            "<!--",
        ];
        let cases = [
            "<script>alert(1)</script>",
            "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\" JaVaScRiPt:alert(1)\">x</a>",
            "<a href=\"java\tscript:alert(1)\">x</a>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<img src=x onerror=alert(1)>",
            "<img src=\"/uploads/abc\" onerror=\"alert(1)\">",
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=alert(1)>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "<style>body{display:none}</style>",
            "<b onclick=\"alert(1)\">bold</b>",
            "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
            "<form action=\"https://evil.example\"><input name=a></form>",
            "<img src=\"data:image/png;base64,AAAA\">",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<base href=\"https://evil.example/\"><meta http-equiv=refresh content=0>",
            "<link rel=stylesheet href=\"https://evil.example/x.css\">",
            "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
            "<button formaction=\"javascript:alert(1)\">x</button>",
            "<template><script>alert(1)</script></template>",
            "<!-- <script>alert(1)</script> -->",
            "<p><b><i>unclosed <a href=\"https://ok.example\">link",
            "<<script>script>alert(1)<</script>/script>",
            "<img src=\"https://evil.example/track.png\">",
            "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        ];
        for input in cases {
            let out = sanitize(input).to_ascii_lowercase();
            for bad in forbidden {
                assert!(
                    !out.contains(bad),
                    "{input:?} gave {out:?}, which contains {bad:?}"
                );
            }
        }
        assert!(cases.len() >= 20);
    }

    #[test]
    fn allowed_formatting_survives() {
        let input = "<p><b>Bold</b> <strong>strong</strong> <i>it</i> <em>em</em><br></p>\
                     <ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>";
        assert_eq!(sanitize(input), input);
    }

    #[test]
    fn links_open_safely() {
        let out = sanitize("<a href=\"https://example.com/a?b=1\" title=\"t\">site</a>");
        assert!(out.contains("href=\"https://example.com/a?b=1\""), "{out}");
        assert!(out.contains("rel=\"noopener nofollow ugc\""), "{out}");
        assert!(out.contains("target=\"_blank\""), "{out}");
        assert!(!out.contains("title"), "{out}");
        let mail = sanitize("<a href=\"mailto:sales@example.com\">mail</a>");
        assert!(mail.contains("mailto:sales@example.com"));
        // A relative link is kept as text, without the link.
        let rel = sanitize("<a href=\"/pricing\">pricing</a>");
        assert!(!rel.contains("href"), "{rel}");
        assert!(rel.contains("pricing"));
    }

    #[test]
    fn only_uploaded_images_are_kept() {
        let id = "0193f0e4-7a1b-7c2d-8e3f-123456789abc";
        let ok = sanitize(&format!("<img src=\"/uploads/{id}\" alt=\"Team\">"));
        assert_eq!(ok, format!("<img src=\"/uploads/{id}\" alt=\"Team\">"));
        assert_eq!(sanitize("<img src=\"/uploads/../secret\">"), "");
        assert_eq!(sanitize("<img src=\"https://evil.example/x.png\">"), "");
    }

    #[test]
    fn text_is_escaped_not_dropped() {
        assert_eq!(sanitize("1 < 2 & 3 > 2"), "1 &lt; 2 &amp; 3 &gt; 2");
        assert_eq!(
            sanitize("<p>Hello <unknown>world</unknown></p>"),
            "<p>Hello world</p>"
        );
    }
}
