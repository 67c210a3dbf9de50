//! Load errors rendered as an operator sees them (no colour, 100 columns),
//! each headed by its code and place: shared by the snapshot tests.

use miette::{GraphicalReportHandler, GraphicalTheme};
use oauth_policy::LoadError;

pub fn render(err: &LoadError) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in err.diagnostics() {
        out.push_str(&format!("[{}] at {}\n", d.code_str(), d.location()));
        handler.render_report(&mut out, d).unwrap();
        out.push('\n');
    }
    out
}
