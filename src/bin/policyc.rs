fn main() {
    let p = oauth_policy::Policy::builtin();
    let args: Vec<String> = std::env::args().collect();
    let req = oauth_policy::Request::authorize(&args[1]).unwrap();
    let out = p.apply(&req);
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
    match oauth_policy::Policy::try_builtin() { Err(e) => eprintln!("{:?}", miette::Report::new(e)), Ok(_) => {} }
}
