//! The interpreter's stack and call paths through a minimal environment: calls reached
//! through `Env::defined_functions` and through `Env::callee` agree, failures leave an owned
//! backtrace, and the stack stays usable afterwards.

use std::sync::Arc;

use wz_interp::{Callee, Code, Env, Stack, StackLimits, TrapCode};

/// One module's functions; `direct` says whether calls may skip `Env::callee`.
struct Module {
    funcs: Vec<Arc<Code>>,
    direct: bool,
    callee_calls: usize,
}

// SAFETY: there is no memory (`memory` returns the default empty slice), and the functions
// handed out by `callee` and `defined_functions` live as long as the environment.
unsafe impl Env for Module {
    type Error = TrapCode;
    fn callee(&mut self, func: u32) -> Callee<'_> {
        self.callee_calls += 1;
        Callee::Wasm {
            instance: 0,
            func: &self.funcs[func as usize],
        }
    }
    fn defined_functions(&mut self) -> (u32, &[Arc<Code>]) {
        if self.direct {
            (0, &self.funcs)
        } else {
            (0, &[])
        }
    }
}

fn module(wat: &str, direct: bool) -> Module {
    let wasm = wat::parse_str(wat).unwrap();
    let module = wz_binary::Module::decode(&wasm, Default::default()).unwrap();
    let funcs = wz_ir::lower_module(&module)
        .unwrap()
        .into_iter()
        .map(|f| Arc::new(Code::new(f).unwrap()))
        .collect();
    Module {
        funcs,
        direct,
        callee_calls: 0,
    }
}

const FIB: &str = r#"(module
  (func $fib (param i32) (result i64)
    (if (result i64) (i32.lt_u (local.get 0) (i32.const 2))
      (then (i64.extend_i32_u (local.get 0)))
      (else (i64.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#;

#[test]
fn direct_and_environment_calls_agree() {
    for direct in [false, true] {
        let mut env = module(FIB, direct);
        let fib = env.funcs[0].clone();
        let mut stack = Stack::default();
        let mut results = [0u64];
        wz_interp::invoke(&mut env, &mut stack, 0, &fib, &[20], &mut results).unwrap();
        assert_eq!(results[0], 6765, "direct: {direct}");
        // fib(20) makes 21890 calls; only the environment path asks `callee`.
        let expected = if direct { 0 } else { 21890 };
        assert_eq!(env.callee_calls, expected, "direct: {direct}");
    }
}

const NESTED_TRAP: &str = r#"(module
  (func $outer (param i32) (result i32) (i32.add (i32.const 1) (call $inner (local.get 0))))
  (func $inner (param i32) (result i32) (i32.div_u (i32.const 10) (local.get 0))))"#;

#[test]
fn a_failed_call_leaves_an_owned_trace() {
    let mut env = module(NESTED_TRAP, true);
    let outer = env.funcs[0].clone();
    let mut stack = Stack::default();
    let mut results = [0u64];
    let err = wz_interp::invoke(&mut env, &mut stack, 0, &outer, &[0], &mut results);
    assert_eq!(err, Err(TrapCode::IntegerDivideByZero));
    // The functions may go away: the trace owns what it lists.
    drop(env);
    drop(outer);
    let trace: Vec<_> = stack.trace().map(|f| (f.func.index, f.pc)).collect();
    assert_eq!(trace.len(), 2);
    let (inner_index, inner_pc) = trace[0];
    let (outer_index, outer_pc) = trace[1];
    assert_eq!((inner_index, outer_index), (1, 0));
    let inner = stack.trace().next().unwrap().func.clone();
    assert!(
        matches!(inner.ops[inner_pc], wz_ir::op::Op::I32DivU(_)),
        "innermost frame at the division, got {:?}",
        inner.ops[inner_pc]
    );
    let outer = stack.trace().nth(1).unwrap().func.clone();
    assert!(
        matches!(outer.ops[outer_pc], wz_ir::op::Op::Call(_)),
        "caller at its call, got {:?}",
        outer.ops[outer_pc]
    );
    stack.clear_trace();
    assert_eq!(stack.trace().len(), 0);
}

#[test]
fn the_stack_is_reusable_after_overflow() {
    let mut env = module(
        r#"(module (func $f (param i32) (result i32) (call $f (local.get 0))))"#,
        true,
    );
    let f = env.funcs[0].clone();
    let mut stack = Stack::new(StackLimits {
        max_slots: 1 << 16,
        max_frames: 1000,
    });
    let mut results = [0u64];
    let err = wz_interp::invoke(&mut env, &mut stack, 0, &f, &[1], &mut results);
    assert_eq!(err, Err(TrapCode::StackOverflow));
    assert_eq!(stack.trace().len(), 1000);

    let mut fib = module(FIB, true);
    let fib0 = fib.funcs[0].clone();
    wz_interp::invoke(&mut fib, &mut stack, 0, &fib0, &[15], &mut results).unwrap();
    assert_eq!(results[0], 610);
    assert_eq!(stack.trace().len(), 0, "a returning call leaves no trace");
}

#[test]
fn stacks_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Stack>();
}

#[test]
fn tiny_limits_trap_instead_of_panicking() {
    let mut env = module(FIB, true);
    let fib = env.funcs[0].clone();
    let mut results = [0u64];
    for max_slots in [0, 1, 8, 100, 255] {
        let mut stack = Stack::new(StackLimits {
            max_slots,
            max_frames: 1000,
        });
        let outcome = wz_interp::invoke(&mut env, &mut stack, 0, &fib, &[10], &mut results);
        // fib(10) needs about 11 frames of 8 cells: it fits in 100 and 255 slots, not below.
        match outcome {
            Ok(()) => {
                assert!(max_slots >= 100, "{max_slots} slots were enough?");
                assert_eq!(results[0], 55);
            }
            Err(code) => {
                assert_eq!(code, TrapCode::StackOverflow, "{max_slots} slots");
                assert!(max_slots < 100, "{max_slots} slots overflowed");
            }
        }
    }
}

/// Runs `f` on a thread with a 512 KiB stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Instruction handlers call each other; where that call does not become a jump (as in this
/// debug build) the chain returns to the loop before its stack budget runs out. 60 000
/// straight-line instructions, a loop of 3 000 000 steps and a recursion 500 deep all
/// run on a 512 KiB thread stack (one frame per instruction would need megabytes). The
/// fourth function's 60 000 instructions each read the one before's result from the
/// accumulator, which the chain keeps when it returns to the loop and restarts.
#[test]
fn long_instruction_runs_fit_a_small_thread_stack() {
    let adds = "(i32.add (i32.const 1))".repeat(60_000);
    let chained = "(i32.mul (i32.const 3)) (i32.xor (i32.const 0x5a5a5a5a))".repeat(30_000);
    let wat = format!(
        r#"(module
          (func $straight (param i32) (result i32) (local.get 0) {adds})
          (func $loop (param i32) (result i32) (local i32)
            (loop $next
              (local.set 1 (i32.add (local.get 1) (i32.xor (local.get 0) (i32.const 3))))
              (br_if $next (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 1))
          (func $deep (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
              (then (i32.const 0))
              (else (i32.add (i32.const 2) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
          (func $chained (param i32) (result i32) (local.get 0) {chained}))"#
    );
    let results = on_small_stack(move || {
        let mut env = module(&wat, true);
        let mut stack = Stack::default();
        let mut out = Vec::new();
        for (func, arg) in [(0, 5), (1, 3_000_000), (2, 500), (3, 7)] {
            let f = env.funcs[func].clone();
            let mut results = [0u64];
            wz_interp::invoke(&mut env, &mut stack, 0, &f, &[arg], &mut results).unwrap();
            out.push(results[0] as u32);
        }
        out
    });
    let looped = (1..=3_000_000u32).fold(0u32, |acc, n| acc.wrapping_add(n ^ 3));
    let chained = (0..30_000).fold(7u32, |x, _| x.wrapping_mul(3) ^ 0x5a5a_5a5a);
    assert_eq!(results, vec![60_005, looped, 1000, chained]);
}

/// A recursive function with more constants than a call copies cell by cell (the `memcpy`
/// path of a call's frame setup) that returns three values (a return's copy loop), deep
/// enough that the frame list and slot array grow along the way.
#[test]
fn calls_with_many_constants_and_results() {
    let wat = r#"(module
      (func $f (param i32) (result i64 i64 i64)
        (local $a i64) (local $b i64) (local $c i64)
        (if (result i64 i64 i64) (i32.eqz (local.get 0))
          (then (i64.const 0) (i64.const 0) (i64.const 0))
          (else
            (call $f (i32.sub (local.get 0) (i32.const 1)))
            (local.set $c) (local.set $b) (local.set $a)
            (i64.add (local.get $a) (i64.const 11))
            (i64.add (local.get $b) (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const 13)))
            (i64.add (i64.add (i64.add (i64.add (i64.add (local.get $c)
              (i64.const 17)) (i64.const 19)) (i64.const 23)) (i64.const 29))
              (i64.const 31))))))"#;
    for direct in [false, true] {
        let mut env = module(wat, direct);
        let f = env.funcs[0].clone();
        assert!(f.init.len() > 8, "{} initial cells", f.init.len());
        let mut stack = Stack::default();
        let mut results = [0u64; 3];
        let n = 500u64;
        wz_interp::invoke(&mut env, &mut stack, 0, &f, &[n], &mut results).unwrap();
        assert_eq!(
            results,
            [11 * n, 13 * n * (n + 1) / 2, 119 * n],
            "direct: {direct}"
        );
    }
}
