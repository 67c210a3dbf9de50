//! `policyc explain`: how the policy treats one request or callback — the
//! provider chosen and why, and every rule considered with its outcome and
//! source location.

use std::process::ExitCode;

use oauth_policy::{Candidate, Location, Policy, Request, Step, Trace};
use serde_json::json;

use crate::common::{self, Format};

/// Arguments of `policyc explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the policy comes from.
    #[command(flatten)]
    source: common::PolicyArgs,
    /// Treat URL as a token endpoint with the form body --body.
    #[arg(long, requires = "body", conflicts_with = "callback")]
    token: bool,
    /// The form-encoded token request body (with --token).
    #[arg(long, value_name = "BODY")]
    body: Option<String>,
    /// Treat URL as a callback (redirect back to the client) and classify it.
    #[arg(long)]
    callback: bool,
    /// With --callback: read URL as a form_post body.
    #[arg(long, requires = "callback")]
    form: bool,
    /// With --callback: the provider block the flow used.
    #[arg(long, value_name = "NAME", requires = "callback")]
    provider: Option<String>,
    /// With --callback: the authorize URL the flow started with.
    #[arg(long, value_name = "URL", requires = "callback")]
    authorize_url: Option<String>,
    /// With --callback: the `state` the gateway sent.
    #[arg(long, value_name = "S", requires = "callback")]
    expected_state: Option<String>,
    /// With --callback: the issuer expected in `iss`.
    #[arg(long, value_name = "I", requires = "callback")]
    expected_issuer: Option<String>,
    /// With --callback: the provider advertises `iss` in responses.
    #[arg(long, requires = "callback")]
    require_iss: bool,
    /// With --callback: the flow sent no `state` (PKCE only).
    #[arg(long, requires = "callback", conflicts_with = "expected_state")]
    no_state: bool,
    /// With --callback: the flow's `response_mode` (`fragment` reads the fragment).
    #[arg(long, value_name = "MODE", requires = "callback")]
    response_mode: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// The authorize URL (token endpoint with --token, callback with --callback).
    url: String,
}

/// Runs the subcommand: exit 0 when the trace was printed, 1 on bad input.
pub fn run(args: Args) -> ExitCode {
    let policy = match args.source.load() {
        Ok(p) => p,
        Err(e) => return common::report_load_error(args.format, e),
    };
    let sources = Sources::new(&policy);
    if args.callback {
        let cb = match crate::classify::read_callback(&args.url, args.form) {
            Ok(c) => c,
            Err(e) => return common::report_input_error(args.format, e),
        };
        let expect = crate::classify::expectations_from(
            args.provider.as_deref(),
            args.authorize_url.as_deref(),
            args.expected_state.as_deref(),
            args.expected_issuer.as_deref(),
            args.require_iss,
            args.no_state,
            args.response_mode.as_deref(),
        );
        let (verdict, trace) = match policy.explain_callback(&cb, &expect) {
            Ok(v) => v,
            Err(e) => return crate::classify::report_expectation_error(args.format, &e),
        };
        match args.format {
            Format::Json => common::print_json(&json!({
                "kind": "callback",
                "provider": verdict.provider,
                "candidates": candidates_json(&trace, &sources),
                "steps": steps_json(&trace, &sources),
                "verdict": verdict,
            })),
            Format::Human => {
                println!(
                    "callback  {}",
                    if args.form {
                        "(form_post body)"
                    } else {
                        &args.url
                    }
                );
                let how = match (&args.provider, &args.authorize_url) {
                    (Some(p), _) => format!("named by the gateway: {p}"),
                    (None, Some(u)) => format!("chosen from the authorize URL {u}"),
                    (None, None) => "none given (--provider or --authorize-url)".into(),
                };
                println!(
                    "provider  {}  ({how})",
                    verdict.provider.as_deref().unwrap_or("none")
                );
                if args.authorize_url.is_some() {
                    candidates_human(&trace, &sources);
                }
                steps_human(
                    &trace,
                    &sources,
                    "classify rules tried, provider's then global (first that holds decides):",
                );
                println!();
                println!(
                    "verdict   {} / {}{}",
                    json!(verdict.outcome).as_str().unwrap_or(""),
                    verdict.category.name(),
                    if verdict.retryable {
                        " (retryable)"
                    } else {
                        ""
                    }
                );
                println!("rule      {}", verdict.rule);
                if let Some(h) = &verdict.hint {
                    println!("hint      {h}");
                }
            }
        }
        return ExitCode::SUCCESS;
    }
    let req = match (&args.token, &args.body) {
        (true, Some(body)) => Request::token(&args.url, body),
        _ => Request::authorize(&args.url),
    };
    let req = match req {
        Ok(r) => r,
        Err(e) => return common::report_input_error(args.format, e),
    };
    let (out, trace) = policy.explain(&req);
    match args.format {
        Format::Json => common::print_json(&json!({
            "kind": req.kind().name(),
            "host": req.host(),
            "provider": out.provider(),
            "candidates": candidates_json(&trace, &sources),
            "steps": steps_json(&trace, &sources),
            "outcome": out,
        })),
        Format::Human => {
            println!("request   {} {}", req.kind().name(), req.url());
            println!("host      {}", req.host());
            println!(
                "provider  {}",
                out.provider().unwrap_or("none (only global rules apply)")
            );
            candidates_human(&trace, &sources);
            steps_human(&trace, &sources, "rules, global then provider's, in order:");
            println!();
            match out.denied() {
                Some(d) => println!("denied    {} ({} at {})", d.reason, d.rule, d.location),
                None => {
                    let result = out.body().unwrap_or(out.url());
                    let same = if out.changes().is_empty() {
                        "  (unchanged)"
                    } else {
                        ""
                    };
                    println!("result    {result}{same}");
                }
            }
            for c in out.changes() {
                println!(
                    "change    {} {} ({} at {})",
                    c.action, c.param, c.rule, c.location
                );
            }
        }
    }
    ExitCode::SUCCESS
}

/// The text of providers' `match` clauses and of rules (kept by the
/// compiled policy), and the layer each file belongs to.
struct Sources<'p> {
    policy: &'p Policy,
    /// File name → layer name, when there is more than one layer.
    layers: Vec<(String, String)>,
}

impl<'p> Sources<'p> {
    /// ` [layer]` after a location, when the policy has overlays.
    fn layer(&self, at: &Location) -> String {
        self.layer_name(at)
            .map_or(String::new(), |l| format!(" [{l}]"))
    }

    /// The layer of a location's file, when the policy has overlays.
    fn layer_name(&self, at: &Location) -> Option<&str> {
        self.layers
            .iter()
            .find(|(f, _)| **f == *at.file)
            .map(|(_, l)| l.as_str())
    }

    fn new(policy: &'p Policy) -> Self {
        let mut layers = Vec::new();
        if policy.layers().len() > 1 {
            for f in policy.files() {
                if let Some(l) = policy.layer_of(&f.name) {
                    layers.push((f.name.to_string(), l.name.clone()));
                }
            }
        }
        Sources { policy, layers }
    }

    /// The text of the `match` at a location ("" when none is there).
    fn matches(&self, at: &Location) -> String {
        self.policy.match_text(at).unwrap_or_default()
    }

    /// The text of the rule at a location ("" when none is there).
    fn rule(&self, at: &Location) -> String {
        self.policy.rule_text(at).unwrap_or_default()
    }
}

fn candidates_human(trace: &Trace, sources: &Sources) {
    if trace.candidates.is_empty() {
        println!("  no provider block's `match` can hold for this host (or the scheme is not https, nor http on a loopback host)");
        return;
    }
    println!(
        "  candidates for this host, in the order tried (exact host, then pattern, then any host):"
    );
    let name_w = trace
        .candidates
        .iter()
        .map(|c| c.provider.len())
        .max()
        .unwrap_or(0);
    let loc_w = trace
        .candidates
        .iter()
        .map(|c| c.location.to_string().len())
        .max()
        .unwrap_or(0);
    for c in &trace.candidates {
        let at = c.matched_by.as_ref().unwrap_or(&c.location);
        let also = if c
            .matched_by
            .as_ref()
            .is_some_and(|m| m.file != c.location.file)
        {
            format!("also match (at {}{})", at, sources.layer(at))
        } else {
            "match".to_string()
        };
        println!(
            "  {} {:<name_w$}  {:<loc_w$}  {also} {}",
            if c.matched { "✓" } else { "✗" },
            c.provider,
            format!("{}{}", c.location, sources.layer(&c.location)),
            sources.matches(at)
        );
    }
}

fn candidates_json(trace: &Trace, sources: &Sources) -> Vec<serde_json::Value> {
    trace
        .candidates
        .iter()
        .map(|c: &Candidate| {
            let layer = c.matched_by.as_ref().and_then(|m| sources.layer_name(m));
            with_layer(
                layer,
                json!({
                    "provider": c.provider,
                    "location": c.location,
                    "matched": c.matched,
                    "matched_by": c.matched_by,
                    "match": sources.matches(c.matched_by.as_ref().unwrap_or(&c.location)),
                }),
            )
        })
        .collect()
}

fn steps_human(trace: &Trace, sources: &Sources, title: &str) {
    println!();
    if trace.steps.is_empty() {
        println!("no rules apply");
        return;
    }
    println!("{title}");
    let rule_w = trace.steps.iter().map(|s| s.rule.len()).max().unwrap_or(0);
    let loc_w = trace
        .steps
        .iter()
        .map(|s| s.location.to_string().len())
        .max()
        .unwrap_or(0);
    for s in &trace.steps {
        let outcome = if s.held {
            format!("condition true: {}", s.effect)
        } else if s.effect.is_off() {
            s.effect.to_string()
        } else {
            "condition false".to_string()
        };
        println!(
            "  {:<rule_w$}  {:<loc_w$}  {outcome}",
            s.rule,
            format!("{}{}", s.location, sources.layer(&s.location))
        );
        let text = sources.rule(&s.location);
        if !text.is_empty() {
            println!("  {:<rule_w$}    {text}", "");
        }
    }
}

fn steps_json(trace: &Trace, sources: &Sources) -> Vec<serde_json::Value> {
    trace
        .steps
        .iter()
        .map(|s: &Step| {
            with_layer(
                sources.layer_name(&s.location),
                json!({
                    "rule": s.rule,
                    "location": s.location,
                    "held": s.held,
                    "effect": s.effect,
                    "text": sources.rule(&s.location),
                }),
            )
        })
        .collect()
}

/// Adds `"layer"` to a JSON object when the policy has overlays.
fn with_layer(layer: Option<&str>, mut value: serde_json::Value) -> serde_json::Value {
    if let (Some(layer), Some(obj)) = (layer, value.as_object_mut()) {
        obj.insert("layer".into(), json!(layer));
    }
    value
}
