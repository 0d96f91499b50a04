//! The `wz` command: results on stdout, one clear line on stderr and a failure status otherwise.

use std::process::Command;

fn wz(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("wz runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn runs_the_example() {
    let (ok, stdout, _) = wz(&["run", "examples/fib.wat", "--invoke", "fib", "20"]);
    assert!(ok);
    assert_eq!(stdout.trim(), "6765");
}

#[test]
fn failures_are_one_line() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["run", "no/such/file.wasm", "--invoke", "f"],
            "cannot read",
        ),
        (
            &["run", "examples/fib.wat", "--invoke", "nope"],
            "exports no function named \"nope\"",
        ),
        (
            &["run", "examples/fib.wat", "--invoke", "fib"],
            "takes 1 arguments",
        ),
        (
            &["run", "examples/fib.wat", "--invoke", "fib", "x"],
            "not a valid i32",
        ),
    ];
    for (args, expected) in cases {
        let (ok, _, stderr) = wz(args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn traps_and_invalid_modules_fail() {
    let dir = std::env::temp_dir().join(format!("wz-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trap = dir.join("trap.wat");
    std::fs::write(
        &trap,
        r#"(module $m (func $inner unreachable) (func (export "f") call $inner))"#,
    )
    .unwrap();
    for engine in ["interp", "jit"] {
        let (ok, _, stderr) = wz(&[
            "run",
            "--engine",
            engine,
            trap.to_str().unwrap(),
            "--invoke",
            "f",
        ]);
        assert!(!ok);
        // The error's line, then the wasm frames, innermost first.
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines[0], "wz: wasm trap: unreachable", "{stderr}");
        assert_eq!(lines[1], "wasm backtrace:", "{stderr}");
        assert!(lines[2].ends_with("m!inner (func 0)"), "{stderr}");
        assert!(lines[3].ends_with("m!func[1]"), "{stderr}");
        assert_eq!(lines.len(), 4, "{stderr}");
    }
    let bad = dir.join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x01\x05").unwrap();
    let (ok, _, stderr) = wz(&["run", bad.to_str().unwrap(), "--invoke", "f"]);
    assert!(!ok);
    assert!(
        stderr.contains("invalid module") && stderr.contains("offset"),
        "{stderr}"
    );
}

#[test]
fn wast_reports_per_file_and_total() {
    let dir = std::env::temp_dir().join(format!("wz-cli-wast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.wast");
    std::fs::write(
        &good,
        r#"(module (func (export "one") (result i32) i32.const 1))
           (assert_return (invoke "one") (i32.const 1))
           (assert_return (invoke "one") (i32.const 2))"#,
    )
    .unwrap();
    let (ok, stdout, _) = wz(&["wast", good.to_str().unwrap()]);
    assert!(!ok, "one assertion is wrong");
    assert!(stdout.contains("good.wast: 2 passed, 1 failed"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("2 passed, 1 failed"));
}

#[test]
fn every_engine_gives_the_same_results_and_traps() {
    let dir = std::env::temp_dir().join(format!("wz-cli-engines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let oob = dir.join("oob.wat");
    std::fs::write(
        &oob,
        r#"(module (memory 1) (func (export "load") (param i32) (result i32)
             local.get 0 i32.load))"#,
    )
    .unwrap();
    let oob = oob.to_str().unwrap();
    let engines: [&[&str]; 4] = [
        &["--engine", "auto"],
        &["--engine", "interp"],
        &["--engine", "jit"],
        &["--engine", "jit", "--bounds-checks", "explicit"],
    ];
    for engine in engines {
        // Options go before the module: what follows it belongs to the program.
        let with = |args: &[&str]| -> Vec<String> {
            args[..1]
                .iter()
                .chain(engine)
                .chain(&args[1..])
                .map(|s| s.to_string())
                .collect()
        };
        let run = |args: &[&str]| {
            let args = with(args);
            wz(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let (ok, stdout, stderr) = run(&["run", "examples/fib.wat", "--invoke", "fib", "20"]);
        assert!(ok, "{engine:?}: {stderr}");
        assert_eq!(stdout.trim(), "6765", "{engine:?}");
        let (ok, stdout, _) = run(&["run", oob, "--invoke", "load", "65532"]);
        assert!(ok, "{engine:?}");
        assert_eq!(stdout.trim(), "0", "{engine:?}");
        let (ok, _, stderr) = run(&["run", oob, "--invoke", "load", "65533"]);
        assert!(!ok, "{engine:?}");
        assert!(
            stderr.contains("out of bounds memory access"),
            "{engine:?}: {stderr}"
        );
    }
}

#[test]
fn trace_logs_calls_returns_and_aborts() {
    for engine in ["interp", "jit"] {
        let (ok, stdout, stderr) = wz(&[
            "run",
            "--trace",
            "--engine",
            engine,
            "examples/fib.wat",
            "--invoke",
            "fib",
            "2",
        ]);
        assert!(ok, "{engine}: {stderr}");
        assert_eq!(stdout.trim(), "1");
        assert_eq!(
            stderr.lines().collect::<Vec<_>>(),
            [
                "--> fib(2)",
                "  --> fib(1)",
                "  <-- fib = 1",
                "  --> fib(0)",
                "  <-- fib = 0",
                "<-- fib = 1",
            ],
            "{engine}"
        );
    }
    let dir = std::env::temp_dir().join(format!("wz-cli-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trap = dir.join("trap.wat");
    std::fs::write(
        &trap,
        r#"(module $m (func $inner (param f32) (result f64) unreachable)
             (func (export "f") (param i64) (drop (call $inner (f32.const 1.5)))))"#,
    )
    .unwrap();
    let (ok, _, stderr) = wz(&[
        "run",
        "--trace",
        trap.to_str().unwrap(),
        "--invoke",
        "f",
        "-7",
    ]);
    assert!(!ok);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "--> m.f(-7)",
            "  --> m.inner(1.5)",
            "  <-- m.inner aborted: wasm trap: unreachable",
            "<-- m.f aborted: wasm trap: unreachable",
            "wz: wasm trap: unreachable",
        ],
        "{stderr}"
    );
}

#[test]
fn runs_wasi_programs_with_their_exit_codes_mounts_and_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args([
            "run",
            "--dir",
            "examples::/ex",
            "examples/wordcount.wasm",
            "/ex/poem.txt",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "4 28 151 /ex/poem.txt\n"
    );
    // Outside the mount: the guest's own error, and its exit code.
    let out = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args([
            "run",
            "--dir-ro",
            "examples::/ex",
            "examples/wordcount.wasm",
            "/ex/../Cargo.toml",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    for engine in ["interp", "jit"] {
        let out = Command::new(env!("CARGO_BIN_EXE_wz"))
            .args(["run", "--engine", engine, "--env", "WHO=cli"])
            .args(["tests/wasi/args_env.wasm", "9", "-x"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(9), "{engine}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "argc=3\nargv[1]=9\nargv[2]=-x\nenv WHO=cli\nWHO=cli\n",
            "{engine}"
        );
    }
}

#[test]
fn env_inherit_passes_wz_s_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args([
            "run",
            "--env-inherit",
            "--env",
            "WHO=flag",
            "tests/wasi/args_env.wasm",
        ])
        .env("WZ_TEST_INHERITED", "yes")
        .env("WHO", "inherited")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("env WZ_TEST_INHERITED=yes\n"), "{stdout}");
    // --env replaces an inherited variable of the same name.
    assert!(stdout.ends_with("WHO=flag\n"), "{stdout}");
    assert!(!stdout.contains("WHO=inherited"), "{stdout}");
}

#[test]
fn limits_and_bad_flags_are_one_line() {
    let (ok, _, stderr) = wz(&[
        "run",
        "--fuel",
        "500",
        "examples/fib.wat",
        "--invoke",
        "fib",
        "25",
    ]);
    assert!(!ok);
    assert!(stderr.starts_with("wz: out of fuel"), "{stderr}");
    let (ok, _, stderr) = wz(&[
        "run",
        "--timeout",
        "20ms",
        "examples/fib.wat",
        "--invoke",
        "fib",
        "45",
    ]);
    assert!(!ok);
    assert!(stderr.starts_with("wz: interrupted"), "{stderr}");
    for (args, expected) in [
        (
            &["run", "--timeout", "soon", "examples/fib.wat"][..],
            "not a duration",
        ),
        (
            &["run", "--dir", "no/such/dir", "examples/wordcount.wasm"][..],
            "is not a directory",
        ),
        (
            &["run", "--env", "NOEQUALS", "examples/wordcount.wasm"][..],
            "expected KEY=VALUE",
        ),
    ] {
        let (ok, _, stderr) = wz(args);
        assert!(!ok, "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn version_inspect_and_compile() {
    let (ok, stdout, _) = wz(&["version"]);
    assert!(ok);
    assert_eq!(stdout, format!("wz {}\n", env!("CARGO_PKG_VERSION")));

    let (ok, stdout, _) = wz(&["inspect", "examples/fib.wat"]);
    assert!(ok);
    assert!(
        stdout.contains("  fib: func 0 (func (param i32) (result i32))\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("functions 0 imported, 1 defined"),
        "{stdout}"
    );
    assert!(stdout.contains("  name: "), "{stdout}");
    let (ok, stdout, _) = wz(&["inspect", "examples/wordcount.wasm"]);
    assert!(ok);
    assert!(
        stdout.contains(
            "  wasi_snapshot_preview1.fd_write: func (func (param i32 i32 i32 i32) (result i32))\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("  _start: func"), "{stdout}");

    let dir = std::env::temp_dir().join(format!("wz-cli-compile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cache = dir.join("cache");
    let artifact = dir.join("wordcount.wzo");
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, _, stderr) = wz(&[
        "compile",
        "--engine",
        "jit",
        "--cache",
        cache.to_str().unwrap(),
        "-o",
        artifact.to_str().unwrap(),
        "examples/wordcount.wasm",
    ]);
    assert!(ok, "{stderr}");
    assert!(std::fs::read(&artifact).unwrap().starts_with(b"\x7fELF"));
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    // A run through the filled cache gives the same answer.
    let (ok, stdout, _) = wz(&[
        "run",
        "--cache",
        cache.to_str().unwrap(),
        "--dir",
        "examples::/ex",
        "examples/wordcount.wasm",
        "/ex/poem.txt",
    ]);
    assert!(ok);
    assert_eq!(stdout, "4 28 151 /ex/poem.txt\n");
    let (ok, _, stderr) = wz(&["compile", "examples/fib.wat"]);
    assert!(!ok);
    assert_eq!(
        stderr,
        "wz: nothing to do: give --cache DIR and/or --output FILE\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_and_unknown_imports_are_one_line() {
    let dir = std::env::temp_dir().join(format!("wz-cli-imports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("imports.wat");
    std::fs::write(
        &module,
        r#"(module (import "env" "missing" (func (param i32))))"#,
    )
    .unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["run", "--bogus", "x.wasm"],
            "wz: unexpected argument '--bogus' found\n",
        ),
        (
            &["frobnicate"],
            "wz: unrecognized subcommand 'frobnicate'\n",
        ),
        (
            &["run"],
            "wz: the following required arguments were not provided: <FILE>\n",
        ),
        (
            &["run", module.to_str().unwrap()],
            "wz: link error: unknown import \"env\" \"missing\": no module \"env\" is instantiated\n",
        ),
    ];
    for (args, expected) in cases {
        let (ok, _, stderr) = wz(args);
        assert!(!ok, "{args:?}");
        assert_eq!(stderr, expected, "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
