//! The C programs of `tests/wasi` (built for wasm32-wasi by `tests/wasi/build.sh`) on every
//! engine, through the embedding API.

use std::path::{Path, PathBuf};

use wz::{ModuleConfig, Runtime, RuntimeConfig};

#[path = "../../wz/tests/support/engines.rs"]
mod support;
use support::engines;

#[path = "support/buffer.rs"]
mod buffer;
use buffer::Buffer;

fn program(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/wasi/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a run printed and how it ended.
struct Outcome {
    stdout: Buffer,
    stderr: Buffer,
    /// The exit code (0 when `_start` returned).
    exit: u32,
}

impl Outcome {
    fn out(&self) -> String {
        self.stdout.text()
    }
}

fn run(
    config: RuntimeConfig,
    name: &str,
    setup: impl FnOnce(ModuleConfig) -> ModuleConfig,
) -> Outcome {
    let runtime = Runtime::with_config(config).unwrap();
    wz_wasi::instantiate(&runtime).unwrap();
    let compiled = runtime.compile_module(&program(name)).unwrap();
    let (stdout, stderr) = (Buffer::default(), Buffer::default());
    let config = setup(
        ModuleConfig::new()
            .with_stdout(stdout.clone())
            .with_stderr(stderr.clone()),
    );
    let exit = match runtime.instantiate_module(&compiled, config) {
        Ok(_) => 0,
        Err(e) => e
            .exit_code()
            .unwrap_or_else(|| panic!("{name} failed: {e}")),
    };
    Outcome {
        stdout,
        stderr,
        exit,
    }
}

/// A fresh directory under the system's temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wz-wasi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn arguments_environment_and_exit_codes() {
    for (engine, config) in engines() {
        let out = run(config, "args_env", |c| {
            c.with_args(&["args_env", "42", "two words"])
                .with_env("WHO", "wz")
                .with_env("EMPTY", "")
        });
        assert_eq!(out.exit, 42, "{engine}");
        assert_eq!(
            out.out(),
            "argc=3\nargv[1]=42\nargv[2]=two words\nenv WHO=wz\nenv EMPTY=\nWHO=wz\n",
            "{engine}"
        );
    }
}

#[test]
fn stdin_is_echoed_to_stdout() {
    let input: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    for (engine, config) in engines() {
        let data = input.clone();
        let out = run(config, "echo", |c| c.with_stdin(std::io::Cursor::new(data)));
        assert_eq!(out.exit, 0, "{engine}");
        assert!(
            out.stdout.bytes() == input,
            "{engine}: stdout differs from stdin"
        );
        assert_eq!(out.stderr.text(), "100000 bytes\n", "{engine}");
    }
}

#[test]
fn files_in_a_mounted_directory() {
    for (engine, config) in engines() {
        let dir = scratch(&format!("files-{engine}"));
        let fs = wz::FsConfig::new().with_dir_mount(&dir, "/data");
        let out = run(config, "files", |c| c.with_fs_config(fs));
        let text = out.out();
        assert_eq!(out.exit, 0, "{engine}: {text}");
        assert!(text.ends_with("0 failures\n"), "{engine}: {text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("ok ")).count(),
            26,
            "{text}"
        );
        // The program cleaned up after itself, on the host too.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{engine}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn no_path_leaves_the_mount() {
    for (engine, config) in engines() {
        let root = scratch(&format!("escape-{engine}"));
        let data = root.join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(root.join("outside.txt"), "secret").unwrap();
        let fs = wz::FsConfig::new().with_dir_mount(&data, "/data");
        let out = run(config, "escape", |c| c.with_fs_config(fs));
        let text = out.out();
        assert_eq!(out.exit, 0, "{engine}: {text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("blocked ")).count(),
            10,
            "{text}"
        );
        assert!(!text.contains("ESCAPED"), "{engine}: {text}");
        // Nothing was created or moved outside the mount.
        let mut names: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["data", "outside.txt"], "{engine}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn read_only_mounts_refuse_writes_with_erofs() {
    for (engine, config) in engines() {
        let dir = scratch(&format!("ro-{engine}"));
        let rw = scratch(&format!("rw-{engine}"));
        std::fs::write(dir.join("input.txt"), "read me\n").unwrap();
        let fs = wz::FsConfig::new()
            .with_read_only_dir_mount(&dir, "/ro")
            .with_dir_mount(&rw, "/rw");
        let out = run(config, "readonly", |c| c.with_fs_config(fs));
        let text = out.out();
        assert_eq!(out.exit, 0, "{engine}: {text}");
        assert!(text.starts_with("read read me\n"), "{text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("refused ")).count(),
            8,
            "{text}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("input.txt")).unwrap(),
            "read me\n"
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "{engine}");
        assert_eq!(std::fs::read_dir(&rw).unwrap().count(), 0, "{engine}");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&rw).unwrap();
    }
}

#[test]
fn clocks_sleep_and_random_bytes() {
    for (engine, config) in engines() {
        let out = run(config, "clocks", |c| {
            c.with_sys_walltime()
                .with_sys_nanotime()
                .with_sys_nanosleep()
                .with_rand_source(std::fs::File::open("/dev/urandom").unwrap())
        });
        let text = out.out();
        assert_eq!(out.exit, 0, "{engine}: {text}");
        assert_eq!(text.matches(": yes").count(), 5, "{engine}: {text}");
    }
}

#[test]
fn the_default_system_is_deterministic() {
    for (engine, config) in engines() {
        // The fake clock starts in 2022 and advances 1 ms per reading; sleeping returns at
        // once; the random source has a fixed seed.
        let a = run(config.clone(), "clocks", |c| c);
        let b = run(config, "clocks", |c| c);
        let text = a.out();
        assert!(
            text.contains("realtime after 2020: yes"),
            "{engine}: {text}"
        );
        assert!(text.contains("slept at least 20ms: no"), "{engine}: {text}");
        assert_eq!(text, b.out(), "{engine}");
    }
}

#[test]
fn raw_calls_return_the_witx_errno_values() {
    for (engine, config) in engines() {
        let dir = scratch(&format!("raw-{engine}"));
        let fs = wz::FsConfig::new().with_dir_mount(&dir, "/data");
        let out = run(config, "raw_calls", |c| c.with_fs_config(fs));
        let text = out.out();
        assert_eq!(out.exit, 0, "{engine}: {text}");
        assert!(!text.contains("FAIL"), "{engine}: {text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("ok ")).count(),
            87,
            "{engine}: {text}"
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{engine}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn proc_exit_closes_only_its_module() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config).unwrap();
        wz_wasi::instantiate(&runtime).unwrap();
        let compiled = runtime.compile_module(&program("args_env")).unwrap();
        let err = runtime
            .instantiate_module(
                &compiled,
                ModuleConfig::new()
                    .with_name("first")
                    .with_args(&["args_env", "3"]),
            )
            .unwrap_err();
        assert!(
            matches!(err.kind(), wz::ErrorKind::Exit(3)),
            "{engine}: {err}"
        );
        assert_eq!(err.to_string(), "exited with code 3");
        // The exited module is gone; the runtime and WASI go on serving others.
        assert!(runtime.module("first").is_none(), "{engine}");
        let out = Buffer::default();
        let err = runtime
            .instantiate_module(
                &compiled,
                ModuleConfig::new()
                    .with_name("first")
                    .with_args(&["args_env", "0"])
                    .with_stdout(out.clone()),
            )
            .err();
        assert!(err.is_none(), "{engine}: {err:?}");
        assert!(out.text().starts_with("argc=2\n"), "{engine}");
    }
}
