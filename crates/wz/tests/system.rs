//! The system interface a ModuleConfig gives a module, as host functions see it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wz::{FsConfig, ModuleConfig, Runtime, System};

/// A host module whose `probe` records what the calling instance's System says.
fn runtime_with_probe(seen: Arc<Mutex<Vec<String>>>) -> Runtime {
    let runtime = Runtime::new();
    runtime
        .new_host_module_builder("probe")
        .new_function_builder()
        .with_func(move |caller: &mut wz::Caller<'_>| -> Result<(), wz::Error> {
            let sys = System::of(caller).ok_or_else(|| wz::Error::usage("no system"))?;
            let mut line = Vec::new();
            let mut input = String::new();
            std::io::Read::read_to_string(&mut *sys.stdin().lock().unwrap(), &mut input).unwrap();
            let mut random = [0u8; 12];
            sys.random(&mut random).unwrap();
            let walls = [sys.walltime(), sys.walltime()];
            let nanos = [sys.nanotime(), sys.nanotime()];
            sys.nanosleep(1_000_000);
            writeln!(sys.stdout().lock().unwrap(), "out").unwrap();
            writeln!(sys.stderr().lock().unwrap(), "err").unwrap();
            write!(
                line,
                "args={:?} env={:?} stdin={input:?} random={random:?} wall={walls:?} nanos={nanos:?} mounts={:?}",
                sys.args(),
                sys.env(),
                sys.fs().mounts().iter().map(|m| (m.guest_path(), m.is_read_only())).collect::<Vec<_>>()
            )
            .unwrap();
            seen.lock().unwrap().push(String::from_utf8(line).unwrap());
            Ok(())
        })
        .export("probe")
        .instantiate()
        .unwrap();
    runtime
}

const APP: &[u8] =
    br#"(module (import "probe" "probe" (func $p)) (func (export "run") (call $p)))"#;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);
impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn run(runtime: &Runtime, config: ModuleConfig) {
    let compiled = runtime.compile_module(APP).unwrap();
    let module = runtime
        .instantiate_module(&compiled, config.with_name(""))
        .unwrap();
    module.exported_function("run").unwrap().call(&[]).unwrap();
}

#[test]
fn the_defaults_are_deterministic() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let runtime = runtime_with_probe(seen.clone());
    run(&runtime, ModuleConfig::new());
    run(&runtime, ModuleConfig::new());
    let seen = seen.lock().unwrap();
    // Each instance gets fresh fake clocks and the same random bytes.
    assert_eq!(seen[0], seen[1]);
    assert!(
        seen[0].starts_with("args=[] env=[] stdin=\"\" random=["),
        "{}",
        seen[0]
    );
    assert!(
        seen[0]
            .contains("wall=[(1640995200, 0), (1640995200, 1000000)] nanos=[0, 1000000] mounts=[]"),
        "{}",
        seen[0]
    );
    assert!(!seen[0].contains("random=[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"));
}

#[test]
fn everything_can_be_configured() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let runtime = runtime_with_probe(seen.clone());
    let (out, err) = (Shared::default(), Shared::default());
    let slept = Arc::new(Mutex::new(Vec::new()));
    let config = ModuleConfig::new()
        .with_args(&["prog", "a b"])
        .with_env("HOME", "/home/wz")
        .with_env("LANG", "C")
        .with_stdin(&b"hello\n"[..])
        .with_stdout(out.clone())
        .with_stderr(err.clone())
        .with_fs_config(
            FsConfig::new()
                .with_dir_mount("/tmp", "/work")
                .with_read_only_dir_mount("/usr", "/usr"),
        )
        .with_walltime(|| (7, 8), Duration::from_secs(1))
        .with_nanotime(|| 42, Duration::from_millis(1))
        .with_nanosleep({
            let slept = slept.clone();
            move |n| slept.lock().unwrap().push(n)
        })
        .with_rand_source(&[9u8; 12][..]);
    run(&runtime, config);
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0],
        "args=[\"prog\", \"a b\"] env=[(\"HOME\", \"/home/wz\"), (\"LANG\", \"C\")] \
         stdin=\"hello\\n\" random=[9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9] wall=[(7, 8), (7, 8)] \
         nanos=[42, 42] mounts=[(\"/work\", false), (\"/usr\", true)]"
    );
    assert_eq!(*slept.lock().unwrap(), vec![1_000_000]);
    assert_eq!(&*out.0.lock().unwrap(), b"out\n");
    assert_eq!(&*err.0.lock().unwrap(), b"err\n");
}

#[test]
fn real_clocks_are_opt_in() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let runtime = runtime_with_probe(seen.clone());
    run(
        &runtime,
        ModuleConfig::new()
            .with_sys_walltime()
            .with_sys_nanotime()
            .with_sys_nanosleep(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let seen = seen.lock().unwrap();
    let wall: i64 = seen[0]
        .split("wall=[(")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!((now - wall).abs() < 60, "{wall} vs {now}");
}

#[test]
fn the_embedder_calling_a_host_function_has_no_system() {
    let runtime = Runtime::new();
    let host = runtime
        .new_host_module_builder("h")
        .new_function_builder()
        .with_func(|caller: &mut wz::Caller<'_>| System::of(caller).is_some() as i32)
        .export("has")
        .instantiate()
        .unwrap();
    let has = host.exported_function("has").unwrap();
    assert_eq!(has.call(&[]).unwrap(), vec![0]);
}
