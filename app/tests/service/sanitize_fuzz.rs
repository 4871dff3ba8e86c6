//! The rich-text sanitizer (R6) under generated hostile input: whatever goes in, what comes
//! out holds only the allowed tags and attributes, no script, event handler, style, svg or
//! math, no `javascript:` or `data:` URL (links are http(s) or mailto, images only our
//! uploads), and sanitizing it again changes nothing.
//!
//! `make test` runs 10,000 inputs; on demand, a million:
//! `LEADLINE_FUZZ_CASES=1000000 cargo test -p app --features ssr --release --test service sanitize_fuzz -- --nocapture`
#![cfg(feature = "ssr")]
use app::chatbot::sanitize::sanitize;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const TAGS: &[&str] = &[
    "script",
    "style",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "img",
    "a",
    "b",
    "p",
    "br",
    "div",
    "span",
    "template",
    "noscript",
    "xmp",
    "textarea",
    "title",
    "base",
    "link",
    "meta",
    "form",
    "input",
    "button",
    "body",
    "html",
    "select",
    "option",
    "mtext",
    "foreignObject",
    "annotation-xml",
    "plaintext",
    "noembed",
    "frameset",
    "video",
    "audio",
    "source",
    "details",
    "marquee",
    "li",
    "ul",
    "em",
    "strong",
    "table",
    "td",
    "SCRIPT",
    "ScRiPt",
    "a/",
    "img/",
];
const ATTRS: &[&str] = &[
    "onclick",
    "onerror",
    "onload",
    "onmouseover",
    "ONLOAD",
    "style",
    "href",
    "src",
    "srcset",
    "xlink:href",
    "formaction",
    "action",
    "srcdoc",
    "data",
    "background",
    "alt",
    "rel",
    "target",
    "class",
    "id",
    "dynsrc",
    "lowsrc",
    "poster",
    "xmlns",
    "is",
    "autofocus",
];
const VALUES: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:x",
    "java&#x09;script:x",
    "&#106;avascript:x",
    "jav&#x0A;ascript:x",
    "data:text/html,<script>x</script>",
    "DATA:image/svg+xml;base64,PHN2Zz4=",
    "vbscript:x",
    "/uploads/0123abcd",
    "/uploads/../x",
    "//evil.example/x",
    "https://ok.example/a?b=1&c=<d>",
    "http://ok.example",
    "mailto:a@b.c",
    "expression(alert(1))",
    "x\" onerror=\"alert(1)",
    "x' onerror='alert(1)",
    "`x`",
    "",
    "\u{0}javascript:x",
    "https://ok.example/\"><script>alert(1)</script>",
];
const TEXT: &[&str] = &[
    "<",
    ">",
    "\"",
    "'",
    "&",
    "&amp;",
    "&lt;script&gt;",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "</",
    "/>",
    "=",
    "`",
    " ",
    "\n",
    "\u{0}",
    "\u{202E}",
    "hello",
    "<?xml ?>",
    "<!DOCTYPE html>",
    "\\",
    "%3Cscript%3E",
    "\u{FEFF}",
    "alert(1)",
];

fn fragment() -> impl Strategy<Value = String> {
    let pick =
        |list: &'static [&'static str]| proptest::sample::select(list).prop_map(str::to_string);
    let quote = proptest::sample::select(&["\"", "'", ""][..]);
    let attr = (pick(ATTRS), quote, pick(VALUES)).prop_map(|(a, q, v)| format!(" {a}={q}{v}{q}"));
    prop_oneof![
        (
            pick(TAGS),
            proptest::collection::vec(attr, 0..3),
            any::<bool>()
        )
            .prop_map(|(t, attrs, close)| format!(
                "<{t}{}{}>",
                attrs.concat(),
                if close { "/" } else { "" }
            )),
        pick(TAGS).prop_map(|t| format!("</{t}>")),
        pick(TEXT),
        "[a-z<>\"'=/ &;:#]{0,12}",
    ]
}

fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 1..24).prop_map(|parts| parts.concat())
}

/// One tag of the output: its name and its attributes.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// The tags of serialized HTML (html5ever writes attribute values in double quotes and
/// escapes `"` in them; a `<` outside a tag is always escaped).
fn tags(html: &str) -> Result<Vec<Tag>, String> {
    let b = html.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        if i < b.len() && b[i] == b'/' {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
            i += 1;
        }
        let name = html[start..i].to_string();
        if name.is_empty() {
            return Err(format!("a bare '<' at {start}"));
        }
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            if i >= b.len() {
                return Err("an unclosed tag".into());
            }
            if b[i] == b'>' {
                i += 1;
                break;
            }
            if b[i] == b'/' {
                i += 1;
                continue;
            }
            let a = i;
            while i < b.len() && !matches!(b[i], b'=' | b' ' | b'>') {
                i += 1;
            }
            let attr = html[a..i].to_string();
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                if i >= b.len() || b[i] != b'"' {
                    return Err(format!("an unquoted value of {attr}"));
                }
                i += 1;
                let v = i;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
                value = html[v..i].to_string();
                i += 1;
            }
            attrs.push((attr, value));
        }
        out.push(Tag { name, attrs });
    }
    Ok(out)
}

fn check(input: &str) -> Result<(), String> {
    let out = sanitize(input);
    let allowed = [
        "b", "strong", "i", "em", "a", "ul", "ol", "li", "p", "br", "img",
    ];
    for tag in tags(&out)? {
        if !allowed.contains(&tag.name.as_str()) {
            return Err(format!("tag {} in {out:?}", tag.name));
        }
        for (name, value) in &tag.attrs {
            let v = value.trim().to_ascii_lowercase();
            let ok = match (tag.name.as_str(), name.as_str()) {
                ("a", "href") => {
                    v.starts_with("http://")
                        || v.starts_with("https://")
                        || v.starts_with("mailto:")
                }
                ("a", "rel") => v == "noopener nofollow ugc",
                ("a", "target") => v == "_blank",
                ("img", "src") => v.starts_with("/uploads/") && !v.contains(".."),
                ("img", "alt") => true,
                _ => false,
            };
            if !ok {
                return Err(format!("{}[{name}={value:?}] in {out:?}", tag.name));
            }
            let url = matches!(name.as_str(), "href" | "src");
            if url
                && (v.contains("javascript:") || v.starts_with("data:") || v.contains("vbscript:"))
            {
                return Err(format!("a script URL {value:?} in {out:?}"));
            }
        }
    }
    let again = sanitize(&out);
    if again != out {
        return Err(format!("not stable: {out:?} became {again:?}"));
    }
    Ok(())
}

#[test]
fn hostile_rich_text_comes_out_harmless_and_stable() {
    let cases: u32 = std::env::var("LEADLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&hostile(), |input| {
            check(&input).map_err(TestCaseError::fail)?;
            Ok(())
        })
        .unwrap();
    println!("sanitizer fuzz: {cases} hostile inputs, all harmless and stable");
}

#[test]
fn the_checker_catches_what_it_should() {
    // The checks themselves fail on bad output (so a pass means something).
    assert!(tags("<script>").is_ok_and(|t| t[0].name == "script"));
    assert!(tags(r#"<a href="javascript:x" onclick="y">"#).is_ok_and(|t| t[0].attrs.len() == 2));
    assert!(tags("a < b").is_err());
}
