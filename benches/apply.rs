//! `apply` on the seed URL beside a hand-written `url` + `regex`
//! implementation of the same rule, in one run, plus the cost as the policy
//! grows to 1000 providers (it should stay flat).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use oauth_policy::{Policy, Request};
use regex::Regex;
use url::Url;

const SEED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com&state=xyz123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

/// The baseline: what a gateway would hand-write for the one seed rule,
/// keeping untouched parameters byte-identical as the engine does.
fn hand_written(url: &str, path_re: &Regex) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return url.to_string();
    };
    let host_ok = matches!(
        parsed.host_str(),
        Some(
            "login.microsoftonline.com"
                | "login.microsoftonline.us"
                | "login.partner.microsoftonline.cn"
        )
    );
    if !host_ok || !path_re.is_match(parsed.path()) {
        return url.to_string();
    }
    let Some(query) = parsed.query() else {
        return url.to_string();
    };
    let has_scope = parsed
        .query_pairs()
        .any(|(k, v)| k == "scope" && !v.is_empty());
    if !has_scope {
        return url.to_string();
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| p.split('=').next() != Some("resource"))
        .collect();
    let head = url.split('?').next().unwrap_or(url);
    format!("{head}?{}", kept.join("&"))
}

fn seed(c: &mut Criterion) {
    let policy = Policy::try_builtin().unwrap();
    let path_re = Regex::new(r"^/[^/]+/oauth2/v2\.0/").unwrap();
    assert_eq!(
        policy.apply(&Request::authorize(SEED).unwrap()).url(),
        hand_written(SEED, &path_re)
    );
    let mut group = c.benchmark_group("seed");
    group.bench_function("engine: parse + apply", |b| {
        b.iter(|| {
            let req = Request::authorize(black_box(SEED)).unwrap();
            black_box(policy.apply(&req).url().len())
        })
    });
    group.bench_function("engine: parse only", |b| {
        b.iter(|| black_box(Request::authorize(black_box(SEED)).unwrap()))
    });
    let parsed = Request::authorize(SEED).unwrap();
    group.bench_function("engine: apply only", |b| {
        b.iter(|| black_box(policy.apply(black_box(&parsed)).url().len()))
    });
    group.bench_function("url crate: Url::parse only", |b| {
        b.iter(|| black_box(Url::parse(black_box(SEED)).unwrap()))
    });
    group.bench_function("hand-written url + regex", |b| {
        b.iter(|| black_box(hand_written(black_box(SEED), &path_re).len()))
    });
    group.finish();
}

fn generated(n: usize) -> Policy {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "provider \"p{i}\" {{ match host == \"h{i}.example\" and path ~ r\"^/[^/]+/oauth2/v2\\.0/\" authorize {{ drop resource if scope }} }}\n"
        ));
    }
    text.push_str(
        "provider \"seed\" { match host == \"login.microsoftonline.com\" and path ~ r\"^/[^/]+/oauth2/v2\\.0/\" authorize { drop resource if scope } }\n",
    );
    Policy::parse("gen.policy", &text).unwrap()
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("providers");
    for n in [1, 100, 1000] {
        let policy = generated(n);
        let req = Request::authorize(SEED).unwrap();
        group.bench_with_input(BenchmarkId::new("apply", n), &policy, |b, p| {
            b.iter(|| black_box(p.apply(black_box(&req)).url().len()))
        });
    }
    group.finish();
}

criterion_group!(benches, seed, scaling);
criterion_main!(benches);
