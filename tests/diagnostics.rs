//! Rendered load errors, as an operator sees them (no color).

#[path = "support/render.rs"]
mod support;

use oauth_policy::Policy;

fn render(files: &[(&str, &str)]) -> String {
    support::render(&Policy::from_sources(files.iter().copied()).unwrap_err())
}

macro_rules! snap {
    ($name:ident, $($file:expr => $text:expr),+ $(,)?) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render(&[$(($file, $text)),+]));
        }
    };
}

snap!(misspelt_action, "a.policy" => "provider \"p\" {\n  match host == \"x\"\n  authorize {\n    dorp resource if scope\n  }\n}\n");
snap!(unknown_section, "a.policy" => "provider \"p\" {\n  match host == \"x\"\n  autorize { drop resource }\n}\n");
snap!(duplicate_section, "a.policy" => "provider \"p\" {\n  match host == \"x\"\n  token { drop a }\n  token { drop b }\n}\n");
snap!(duplicate_provider_across_files,
    "a.policy" => "provider \"entra\" { match host == \"x\" }\n",
    "b.policy" => "\n\nprovider \"entra\" { match host == \"y\" }\n");
snap!(invalid_regex, "a.policy" => "provider \"p\" {\n  match host == \"x\" and path ~ r\"^/(v2\\.0\"\n}\n");
snap!(unknown_category, "a.policy" => "provider \"p\" {\n  match host == \"x\"\n  callback { when error == \"x\" classify acess_denied }\n}\n");
snap!(action_in_wrong_section, "a.policy" => "provider \"p\" {\n  match host == \"x\"\n  callback { drop code }\n}\n");
snap!(classify_outside_callback, "a.policy" => "classify access_denied\n");
snap!(interpolation_in_regex, "a.policy" => "drop a if b ~ \"^${c}$\"\n");
snap!(unknown_kind, "a.policy" => "drop a if kind == \"autorize\"\n");
snap!(bad_interpolation, "a.policy" => "set a = \"${not a name}\"\n");
snap!(missing_condition, "a.policy" => "provider \"p\" {\n  match\n}\n");
snap!(unterminated_string, "a.policy" => "set a = \"open\n");
snap!(too_deep, "a.policy" => &format!("drop a if {}b{}\n", "(".repeat(70), ")".repeat(70)));
snap!(several_errors_in_one_file, "a.policy" => "provider \"p\" {\n  match host ~ \"(\"\n  tokn { drop a }\n}\n");
