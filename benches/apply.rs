//! Every engine path beside the hand-written Rust it replaces, in one run
//! (only ratios within one run mean anything on a shared machine), plus the
//! load times and the cost as the policy grows to 1051 providers (it should
//! stay flat). `python3 benches/ratios.py` prints the ratios afterwards;
//! docs/performance.md has the commands and the numbers.

#[path = "support/cases.rs"]
mod cases;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use oauth_policy::{Callback, Expectations, Policy, Request};
use url::Url;

use cases::{Baseline, ENTRA_ERROR, SEED, STATE, TOKEN_BODY, TOKEN_URL};

fn seed(c: &mut Criterion) {
    let policy = Policy::try_builtin().unwrap();
    let base = Baseline::new();
    assert_eq!(
        policy.apply(&Request::authorize(SEED).unwrap()).url(),
        base.authorize(SEED)
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
        b.iter(|| black_box(base.authorize(black_box(SEED)).len()))
    });
    group.finish();
}

fn token(c: &mut Criterion) {
    let policy = Policy::try_builtin().unwrap();
    let base = Baseline::new();
    let req = Request::token(TOKEN_URL, TOKEN_BODY).unwrap();
    assert_eq!(
        policy.apply(&req).body(),
        Some(base.token(TOKEN_URL, TOKEN_BODY).as_str())
    );
    let mut group = c.benchmark_group("token");
    group.bench_function("engine: parse + apply", |b| {
        b.iter(|| {
            let req = Request::token(TOKEN_URL, black_box(TOKEN_BODY)).unwrap();
            black_box(policy.apply(&req).body().map_or(0, str::len))
        })
    });
    group.bench_function("hand-written url + regex", |b| {
        b.iter(|| black_box(base.token(TOKEN_URL, black_box(TOKEN_BODY)).len()))
    });
    group.finish();
}

fn callback(c: &mut Criterion) {
    let policy = Policy::try_builtin().unwrap();
    let base = Baseline::new();
    let expect = Expectations::new()
        .with_provider("microsoft-entra-v2")
        .with_expected_state(STATE);
    let cb = Callback::from_url(ENTRA_ERROR).unwrap();
    let verdict = policy.classify(&cb, &expect).unwrap();
    let hand = base.callback(ENTRA_ERROR, STATE);
    assert_eq!(verdict.category.name(), hand.category);
    assert_eq!(verdict.provider_code, hand.provider_code);
    let mut group = c.benchmark_group("callback");
    group.bench_function("engine: classify (parse + decide)", |b| {
        b.iter(|| {
            let cb = Callback::from_url(black_box(ENTRA_ERROR)).unwrap();
            black_box(policy.classify(&cb, &expect).unwrap().retryable)
        })
    });
    group.bench_function("engine: decide only", |b| {
        b.iter(|| black_box(policy.classify(black_box(&cb), &expect).unwrap().retryable))
    });
    group.bench_function("hand-written url + regex", |b| {
        b.iter(|| black_box(base.callback(black_box(ENTRA_ERROR), STATE).category))
    });
    group.finish();
}

fn load(c: &mut Criterion) {
    let generated = cases::generated_policy(1050);
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("shipped library", |b| {
        b.iter(|| black_box(Policy::try_builtin().unwrap()))
    });
    group.bench_function("1051 generated providers", |b| {
        b.iter(|| black_box(Policy::parse("gen.policy", black_box(&generated)).unwrap()))
    });
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("providers");
    let req = Request::authorize(SEED).unwrap();
    for n in [0, 1050] {
        let policy = Policy::parse("gen.policy", &cases::generated_policy(n)).unwrap();
        assert_eq!(policy.apply(&req).provider(), Some("seed"));
        group.bench_with_input(BenchmarkId::new("apply", n + 1), &policy, |b, p| {
            b.iter(|| black_box(p.apply(black_box(&req)).url().len()))
        });
    }
    group.finish();
}

criterion_group!(benches, seed, token, callback, load, scaling);
criterion_main!(benches);
