//! Trail's browser app, embedded. `build.rs` builds `web/` with npm (Vite) into
//! `OUT_DIR` and writes a table of the files; this crate holds that table, so
//! the `trail` binary serves the app with no files beside it. The server
//! decides the HTTP side (crates/trail-server/src/routes/web.rs).

/// One file of the built app.
#[derive(Debug)]
pub struct Asset {
    /// The URL path it is served at, e.g. `/assets/index-8erwhkgo.js`.
    pub path: &'static str,
    pub body: &'static [u8],
    /// The same bytes compressed with brotli, when that makes them smaller.
    pub brotli: Option<&'static [u8]>,
    pub content_type: &'static str,
    /// A quoted hash of `body` (a strong ETag of the uncompressed form).
    pub etag: &'static str,
    /// Content-hashed names (everything under `/assets/`) never change
    /// content, so browsers may keep them for good.
    pub immutable: bool,
}

mod table {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Every file, sorted by path.
pub fn assets() -> &'static [Asset] {
    table::ASSETS
}

/// The file served at `path`, if there is one.
pub fn find(path: &str) -> Option<&'static Asset> {
    let all = assets();
    all.binary_search_by(|a| a.path.cmp(path))
        .ok()
        .map(|i| &all[i])
}

/// The app's page, served for every client-side route.
pub fn index() -> &'static Asset {
    find("/index.html").expect("the built app has an index.html (checked by build.rs)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_text() -> &'static str {
        std::str::from_utf8(index().body).unwrap()
    }

    /// Every `src="…"` and `href="…"` of the page.
    fn references(html: &str) -> Vec<&str> {
        ["src=\"", "href=\""]
            .iter()
            .flat_map(|attr| html.split(attr).skip(1))
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    #[test]
    fn the_table_is_sorted_and_the_page_is_there() {
        let all = assets();
        assert!(all.windows(2).all(|w| w[0].path < w[1].path));
        assert!(index().content_type.starts_with("text/html"));
        assert!(!index().immutable, "index.html must be revalidated");
    }

    #[test]
    fn the_page_references_only_embedded_files() {
        let refs = references(index_text());
        assert!(refs.iter().any(|r| r.ends_with(".js")), "{refs:?}");
        assert!(refs.iter().any(|r| r.ends_with(".css")), "{refs:?}");
        for r in refs {
            let asset = find(r).unwrap_or_else(|| panic!("{r} is referenced but not embedded"));
            if r.starts_with("/assets/") {
                assert!(asset.immutable, "{r} has a hashed name");
            }
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        // The server's Content-Security-Policy would refuse them.
        let html = index_text();
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(tag.contains("src="), "inline script: <script{tag}>");
        }
        assert!(!html.contains("<style"), "inline <style> in index.html");
        assert!(!html.contains(" style=\""), "style attribute in index.html");
    }

    #[test]
    fn compressed_twins_are_smaller() {
        for a in assets() {
            if let Some(br) = a.brotli {
                assert!(br.len() < a.body.len(), "{}", a.path);
            }
            assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
        }
    }
}
