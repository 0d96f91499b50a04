//! A wasm module calling Rust: a host module with a typed function and one that reads the
//! caller's memory, then the wasm side calling both.
//!
//! `cargo run -p wz --example host_functions`

use anyhow::Result;

fn main() -> Result<()> {
    let runtime = wz::Runtime::new();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|a: i64, b: i64| a.wrapping_mul(b))
        .with_param_names(&["a", "b"])
        .export("mul")
        .new_function_builder()
        .with_func(
            |caller: &mut wz::Caller<'_>, ptr: i32, len: i32| -> Result<(), wz::Error> {
                let memory = caller
                    .memory()
                    .ok_or_else(|| wz::Error::usage("no memory"))?;
                let bytes = memory
                    .get(ptr as usize..(ptr as usize).saturating_add(len as usize))
                    .ok_or_else(|| wz::Error::usage("string out of bounds"))?;
                println!("guest says: {}", String::from_utf8_lossy(bytes));
                Ok(())
            },
        )
        .export("print")
        .instantiate()?;

    let module = runtime.instantiate(
        br#"(module
          (import "env" "mul" (func $mul (param i64 i64) (result i64)))
          (import "env" "print" (func $print (param i32 i32)))
          (memory 1)
          (data (i32.const 16) "hello from wasm")
          (func (export "square") (param i64) (result i64) (call $mul (local.get 0) (local.get 0)))
          (func (export "greet") (call $print (i32.const 16) (i32.const 15))))"#,
    )?;
    let square = module
        .exported_function("square")
        .expect("exported")
        .typed::<i64, i64>()?;
    println!("square(12) = {}", square.call(12)?);
    module
        .exported_function("greet")
        .expect("exported")
        .call(&[])?;
    Ok(())
}
