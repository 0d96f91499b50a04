//! Running untrusted code with limits: a fuel budget, a timeout, an interrupt from another
//! thread, and a memory cap. Every limit ends the call with a typed error; the runtime stays
//! usable.
//!
//! `cargo run -p wz --example limits`

use std::time::Duration;

use anyhow::Result;
use wz::{CallContext, ErrorKind, Runtime, RuntimeConfig};

fn main() -> Result<()> {
    let config = RuntimeConfig::new()
        .with_fuel(true)
        .with_interruption(true)
        .with_memory_limit_pages(16); // 1 MiB per memory at most
    let runtime = Runtime::with_config(config)?;
    let module = runtime.instantiate(
        br#"(module
          (memory 1)
          (func (export "spin") (loop (br 0)))
          (func (export "grow") (result i32) (memory.grow (i32.const 100))))"#,
    )?;
    let spin = module.exported_function("spin").expect("exported");

    let err = spin
        .call_with(&CallContext::new().with_fuel(1_000_000), &[])
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::OutOfFuel));
    println!("fuel:      {err}");

    let err = spin
        .call_with(
            &CallContext::new().with_timeout(Duration::from_millis(50)),
            &[],
        )
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Interrupted));
    println!("timeout:   {err}");

    let handle = runtime.interrupt_handle()?;
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    let err = spin.call(&[]).unwrap_err();
    stopper.join().expect("the stopper thread");
    println!("interrupt: {err}");

    let grow = module.exported_function("grow").expect("exported");
    let old = grow.call(&[])?[0] as i32;
    println!("memory.grow past the cap returns {old}");
    Ok(())
}
